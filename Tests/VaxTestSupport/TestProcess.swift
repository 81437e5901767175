import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program from a test and never lets it hold the suite up.
///
/// - Its output and errors go to files, not pipes: a process it leaves behind (a browser, a driver)
///   cannot keep a pipe open, so neither the test nor `swift test`'s own output waits on it.
/// - It runs under coreutils `timeout`, which stops its whole process group after `timeout` (and
///   kills it 10 s later): a stuck program fails the test with status 124 instead of hanging CI.
public enum TestProcess {
    public struct Result: Sendable {
        public let status: Int32
        /// Standard output.
        public let output: String
        /// Standard error.
        public let errors: String

        public var timedOut: Bool { status == 124 || status == 137 }

        /// For a failure message: the status (and whether it ran out of time), the output and the last of the errors.
        public var summary: String {
            "status \(status)\(timedOut ? " (stopped: it ran out of time)" : ""); output: \(output.suffix(3000)); errors: \(errors.suffix(3000))"
        }
    }

    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil,
        directory: URL? = nil,
        environment: [String: String]? = nil,
        timeout seconds: Int = 120
    ) throws -> Result {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("vaxtrace-process-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let err = folder.appendingPathComponent("err")
        let inFile = folder.appendingPathComponent("in")
        for file in [out, err] { FileManager.default.createFile(atPath: file.path, contents: nil) }
        try Data((input ?? "").utf8).write(to: inFile)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", String(seconds), executable] + arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        let inHandle = try FileHandle(forReadingFrom: inFile)
        defer {
            try? outHandle.close()
            try? errHandle.close()
            try? inHandle.close()
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
            errors: String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
        )
    }

    /// A long-running program (a server) with its output and errors in `log`; `stop` ends it.
    public final class Background: @unchecked Sendable {
        let process = Process()
        public let log: URL

        public init(
            _ executable: String,
            _ arguments: [String],
            environment: [String: String],
            directory: URL? = nil
        ) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("vaxtrace-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            defer { try? handle.close() }
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = environment
            if let directory { process.currentDirectoryURL = directory }
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        /// What the program wrote so far (its last `limit` characters).
        public func output(limit: Int = 4000) -> String {
            String(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).suffix(limit))
        }

        /// SIGTERM, then SIGKILL if it has not ended within `grace` seconds; removes the log.
        public func stop(grace: Double = 10) {
            defer { try? FileManager.default.removeItem(at: log) }
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}
