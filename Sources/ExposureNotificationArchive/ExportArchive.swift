import ExposureNotification
import Foundation
import VaxSheets
import ZIPFoundation

/// The export zip: `export.bin` and `export.sig`, deflated.
public enum ExportArchive {
    /// The most bytes `export.bin` may unpack to (the reference server caps a file at 750,000 keys, 28 bytes each).
    public static let maxBinBytes = 32 << 20

    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        case notAnArchive(String)
        case missing(String)

        public var description: String {
            switch self {
            case .notAnArchive(let reason): "not a readable export zip (\(reason))"
            case .missing(let name): "the export zip has no \(name)"
            }
        }
    }

    /// Reads the two files of an export zip.
    public static func read(_ data: Data) throws(Failure) -> SignedExport {
        do {
            let zip = try ZipReader(data)
            guard let bin = try zip.read("export.bin", limit: maxBinBytes) else { throw Failure.missing("export.bin") }
            guard let sig = try zip.read("export.sig", limit: 1 << 20) else { throw Failure.missing("export.sig") }
            return SignedExport(exportBin: bin, exportSig: sig)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .notAnArchive(String(describing: error))
        }
    }

    /// Packs a signed export as a zip.
    public static func write(_ export: SignedExport) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
        for (name, bytes) in [("export.bin", Data(export.exportBin)), ("export.sig", Data(export.exportSig))] {
            try archive.addEntry(
                with: name,
                type: .file,
                uncompressedSize: Int64(bytes.count),
                compressionMethod: .deflate,
                provider: { position, size in bytes.subdata(in: Int(position)..<Int(position) + size) }
            )
        }
        guard let data = archive.data else { throw Failure.notAnArchive("the archive could not be packed") }
        return data
    }
}
