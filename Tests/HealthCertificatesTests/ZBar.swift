import Foundation

/// zbarimg, a real QR decoder (installed by `make test`), reading an image file.
enum ZBar {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ file: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["zbarimg", "--raw", "--quiet", "-Sbinary", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "zbarimg found no code in \(file.lastPathComponent) (status \(process.terminationStatus))"
            )
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
