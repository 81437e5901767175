import Crypto
import ExposureNotification
import ExposureNotificationArchive
import Foundation
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage

extension KeyServer {
    /// The periods files are made for, longest last.
    static let periods: [(name: String, seconds: TimeInterval)] = [("hourly", 3600), ("daily", 86_400)]
    static let settleSeconds: TimeInterval = 300

    /// Makes the export files of every hour and day that has ended since the last file (at most 14 days back),
    /// writes the index, and returns what it made. Without an export signing key it makes nothing.
    @discardableResult
    public func exportDue(logger: Logger? = nil) async throws -> [ExportRecord] {
        let now = clock.now()
        guard let (signer, key) = try await activeSigningKey() else {
            logger?.warning("no export signing key: run vaxtrace keys rotate-exports")
            return []
        }
        let existing = try await store.exports()
        var made: [ExportRecord] = []
        for period in Self.periods {
            // A period is exported 5 minutes after it ended, so an upload that read its clock just before the
            // end but committed just after is in the file.
            let settled = now.timeIntervalSince1970 - Self.settleSeconds
            let lastBoundary = (settled / period.seconds).rounded(.down) * period.seconds
            let oldest = lastBoundary - Double(settings.maximumKeyAgeDays) * 86_400
            var start: TimeInterval
            if let last = existing.filter({ $0.period == period.name }).map(\.end.timeIntervalSince1970).max() {
                start = max(last, oldest)
            } else if let first = try await store.earliestExportable() {
                // The first file of a period starts with the first key; earlier periods held nothing.
                start = max((first.timeIntervalSince1970 / period.seconds).rounded(.down) * period.seconds, oldest)
            } else {
                continue
            }
            while start + period.seconds <= lastBoundary {
                let records = try await exportBatch(
                    period: period.name,
                    start: Date(timeIntervalSince1970: start),
                    end: Date(timeIntervalSince1970: start + period.seconds),
                    signer: signer,
                    key: key,
                    now: now
                )
                made += records
                start += period.seconds
            }
        }
        if !made.isEmpty { try await writeIndex() }
        return made
    }

    /// One batch: the keys that became exportable in [start, end), padded, split into files of at most
    /// `maximumKeysPerFile`, signed, zipped and written (never over an existing file).
    func exportBatch(
        period: String,
        start: Date,
        end: Date,
        signer: ExportSigningKey,
        key: P256.Signing.PrivateKey,
        now: Date
    ) async throws -> [ExportRecord] {
        let real = try await store.exportableKeys(from: start, to: end).map {
            TemporaryExposureKey(
                keyData: $0.keyData,
                rollingStartIntervalNumber: $0.rollingStart,
                rollingPeriod: $0.rollingPeriod,
                transmissionRiskLevel: $0.transmissionRisk,
                reportType: ReportType(rawValue: $0.reportType),
                daysSinceOnsetOfSymptoms: $0.daysSinceOnset
            )
        }
        let padding = max(0, settings.minimumKeysPerFile - real.count)
        let all =
            (real
            + Self.fakeKeys(
                padding,
                like: real,
                before: end.addingTimeInterval(-settings.holdBack),
                days: settings.maximumKeyAgeDays
            )).sorted {
                $0.keyData.lexicographicallyPrecedes($1.keyData)
            }
        let chunks = stride(from: 0, to: max(all.count, 1), by: settings.maximumKeysPerFile).map {
            Array(all[$0..<min($0 + settings.maximumKeysPerFile, all.count)])
        }
        let info = SignatureInfo(verificationKeyVersion: signer.version, verificationKeyID: signer.keyID)
        let realData = Set(real.map(\.keyData))
        var records: [ExportRecord] = []
        for (index, chunk) in chunks.enumerated() {
            let export = TemporaryExposureKeyExport(
                startTimestamp: UInt64(start.timeIntervalSince1970),
                endTimestamp: UInt64(end.timeIntervalSince1970),
                region: settings.region,
                batchNumber: Int32(index + 1),
                batchSize: Int32(chunks.count),
                signatureInfos: [info],
                keys: chunk
            )
            let zip = try ExportArchive.write(try SignedExport(export: export, info: info, signingKey: key))
            let name =
                "\(settings.region)/\(period)/\(Int(start.timeIntervalSince1970))-\(Int(end.timeIntervalSince1970))-\(String(format: "%05d", index + 1)).zip"
            try writeOnce(zip, to: name)
            let realInChunk = chunk.filter { realData.contains($0.keyData) }.count
            records.append(
                ExportRecord(
                    fileName: name,
                    period: period,
                    start: start,
                    end: end,
                    batchNumber: index + 1,
                    batchSize: chunks.count,
                    keyCount: realInChunk,
                    paddingCount: chunk.count - realInChunk,
                    keyID: signer.keyID,
                    keyVersion: signer.version,
                    createdAt: now
                )
            )
        }
        return try await store.recordExports(records) ? records : []
    }

    /// Random keys shaped like the real ones (rolling period, risk, report type, onset), on random whole days
    /// of the last `days` that ended before `end` (the batch end less the hold-back, so no fake key is one a
    /// real key could not yet be), so padding cannot be told apart.
    static func fakeKeys(
        _ count: Int,
        like real: [TemporaryExposureKey],
        before end: Date,
        days: Int
    ) -> [TemporaryExposureKey] {
        guard count > 0 else { return [] }
        var generator = SystemRandomNumberGenerator()
        // The last whole day that ended by `end`.
        let lastDay = ExposureNotification.rollingStart(of: ExposureNotification.intervalNumber(end)) - 144
        return (0..<count).map { _ in
            let model = real.randomElement(using: &generator)
            let day = lastDay - Int32.random(in: 0..<Int32(days), using: &generator) * 144
            return TemporaryExposureKey(
                keyData: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) },
                rollingStartIntervalNumber: day,
                rollingPeriod: model?.rollingPeriod ?? 144,
                transmissionRiskLevel: model?.transmissionRiskLevel ?? 0,
                reportType: model?.reportType ?? .confirmedTest,
                daysSinceOnsetOfSymptoms: model?.daysSinceOnsetOfSymptoms
            )
        }
    }

    var exportRoot: URL { URL(fileURLWithPath: settings.exportDirectory, isDirectory: true) }

    /// Writes a file by a temporary name and a rename, so a reader never sees half a file; an existing file
    /// is left alone (files are immutable).
    func writeOnce(_ data: Data, to name: String) throws {
        let url = exportRoot.appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: url.path) else { return }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp")
        try data.write(to: temporary)
        try Self.rename(temporary, to: url)
    }

    /// rename(2): atomic, and it replaces an existing file.
    static func rename(_ source: URL, to destination: URL) throws {
        guard Foundation.rename(source.path, destination.path) == 0 else {
            try? FileManager.default.removeItem(at: source)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
        }
    }

    /// `REGION/index.txt`: every current file, oldest first, one name per line (the reference server's format).
    func writeIndex() async throws {
        let names = try await store.exports().map(\.fileName)
        let url = exportRoot.appendingPathComponent("\(settings.region)/index.txt")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".index-\(UUID().uuidString).tmp")
        try Data((names.joined(separator: "\n") + (names.isEmpty ? "" : "\n")).utf8).write(to: temporary)
        try Self.rename(temporary, to: url)
    }

    /// Deletes keys older than 14 days, spent or expired codes, and export files past the keys they hold.
    @discardableResult
    public func purge() async throws -> (keys: Int, files: Int) {
        let now = clock.now()
        let current = ExposureNotification.rollingStart(of: ExposureNotification.intervalNumber(now))
        let (keys, files) = try await store.purge(
            keysBefore: current - Int32(settings.maximumKeyAgeDays) * 144,
            codesBefore: now.addingTimeInterval(-86_400),
            exportsBefore: now.addingTimeInterval(-Double(settings.maximumKeyAgeDays + 1) * 86_400)
        )
        for name in files { try? FileManager.default.removeItem(at: exportRoot.appendingPathComponent(name)) }
        if !files.isEmpty { try await writeIndex() }
        return (keys, files.count)
    }

    /// A file under the export folder, for the server's own `/en/exports/…` route: only names the key server
    /// writes (letters, digits, '-', '.', '_' and the two folders), never a path outside the folder.
    public func exportFile(_ path: String) -> Data? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count),
            parts.allSatisfy({ part in
                !part.isEmpty && !part.hasPrefix(".")
                    && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            })
        else { return nil }
        return FileManager.default.contents(atPath: exportRoot.appendingPathComponent(path).path)
    }
}

/// Makes the export files every few minutes and purges old keys and files.
public struct ExportBatcher: Service {
    let keyServer: KeyServer
    let database: VaxDatabase
    let migrations: MigrationRunner
    let interval: Duration
    let logger: Logger

    public init(
        keyServer: KeyServer,
        database: VaxDatabase,
        migrations: MigrationRunner,
        interval: Duration = .seconds(300),
        logger: Logger
    ) {
        self.keyServer = keyServer
        self.database = database
        self.migrations = migrations
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            guard (try? await migrations.pending(on: database).isEmpty) == true else { return }
            do {
                let made = try await keyServer.exportDue(logger: logger)
                if !made.isEmpty {
                    logger.info(
                        "exported diagnosis keys",
                        metadata: ["files": "\(made.count)", "keys": "\(made.map(\.keyCount).reduce(0, +))"]
                    )
                }
                try await keyServer.purge()
            } catch {
                logger.error("export batch failed", metadata: ["error": "\(type(of: error))"])
            }
        }
    }
}
