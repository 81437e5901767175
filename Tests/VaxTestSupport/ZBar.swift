import Foundation

/// zbarimg, a real QR decoder (the zbar-tools package, installed by `make test`), reading image files.
public enum ZBar {
    /// No decoder installed: the QR tests fail rather than skip.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "zbarimg (the zbar-tools package) is needed to decode the QR codes: run scripts/install-deps.sh test"
        }
    }

    /// The decoder read no code.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The `zbarimg` executable on `PATH` (or at /usr/bin/zbarimg); the test fails if there is none.
    public static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/zbarimg" } + ["/usr/bin/zbarimg"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Missing()
        }
        return found
    }

    /// The text of the code in an image file (PNG, or SVG through ImageMagick's SVG coder), its bytes
    /// as they are (`-Sbinary`: no guessing of a character set).
    public static func read(_ file: URL) throws -> String {
        let run = try TestProcess.run(try executable(), ["--raw", "--quiet", "-Sbinary", file.path], timeout: 60)
        guard run.status == 0 else {
            throw Failure(description: "zbarimg found no code in \(file.lastPathComponent) (status \(run.status))")
        }
        var text = run.output
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// What `zbarimg` reads from a PNG, or nil if it finds no code.
    public static func decode(png: [UInt8]) throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vaxtrace-qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            return try read(file)
        } catch is Failure {
            return nil
        }
    }
}
