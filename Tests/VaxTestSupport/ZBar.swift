import Foundation

/// Runs `zbarimg`, the ZBar command-line decoder, on PNG files.
public enum ZBar {
    /// No decoder installed: the QR tests fail rather than skip.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "zbarimg (the zbar-tools package) is needed to decode the QR codes: run scripts/install-deps.sh test"
        }
    }

    /// The `zbarimg` executable on `PATH` (or at /usr/bin/zbarimg); the test fails if there is none.
    public static func executable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/zbarimg" } + ["/usr/bin/zbarimg"]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let found else { throw Missing() }
        return URL(fileURLWithPath: found)
    }

    /// Writes `png` to a temporary file and returns what `zbarimg --raw` reads from it, or nil if it finds
    /// no symbol.
    public static func decode(png: [UInt8]) throws -> String? {
        let executable = try executable()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vaxtrace-qr-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("code.png")
        try Data(png).write(to: file)

        let process = Process()
        process.executableURL = executable
        process.arguments = ["--raw", "-q", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") {
            text.removeLast()
        }
        return text
    }
}
