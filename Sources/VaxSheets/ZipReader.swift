import Foundation
import ZIPFoundation

/// A read-only zip archive held in memory, every offset and size checked against the archive before use.
///
/// ZIPFoundation's `Archive` trusts the offsets in the central directory (a hostile one can make it trap) and its
/// inflater reads past the end of a short input, so the directory is read here and ZIPFoundation is only given
/// whole, padded input chunks to inflate.
public struct ZipReader {
    /// Why an archive cannot be read.
    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        /// Not a readable zip archive; the reason is a phrase such as "the zip archive is encrypted".
        case damaged(String)
        /// An entry declares, or inflates to, more than the caller's limit.
        case tooLarge(path: String, limit: Int)

        public var description: String {
            switch self {
            case .damaged(let reason): reason
            case .tooLarge(let path, let limit): "\(path) unpacks to more than \(limit) bytes"
            }
        }
    }

    /// One file in the archive, as the central directory describes it.
    struct Entry {
        /// The compression method: 0 stored, 8 deflated.
        let method: Int
        /// The CRC-32 of the uncompressed bytes.
        let crc32: UInt32
        /// The size of the stored bytes.
        let compressedSize: Int
        /// The declared size of the unpacked bytes.
        let uncompressedSize: Int
        /// Where the entry's local header starts.
        let localHeaderOffset: Int
    }

    private let bytes: [UInt8]
    /// The entries by normalised path (see `key(_:)`); the first of duplicate paths wins.
    private var entries: [String: Entry] = [:]

    /// Reads the central directory of `data`.
    public init(_ data: Data) throws(Failure) {
        bytes = [UInt8](data)
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw .damaged(
                "it is an old .xls file or a password-protected workbook; save it as .xlsx without a password"
            )
        }
        guard bytes.starts(with: [0x50, 0x4B]) else { throw .damaged("it is not a zip archive") }
        guard let end = endOfCentralDirectory() else {
            throw .damaged("the zip archive is incomplete or damaged")
        }
        try readCentralDirectory(offset: end.offset, count: end.count)
    }

    /// Whether the archive holds `path`.
    public func contains(_ path: String) -> Bool {
        entries[Self.key(path)] != nil
    }

    /// The unpacked bytes of `path`, or nil when the archive has no such entry.
    ///
    /// Refuses ("too_large") an entry that declares, or turns out while inflating, to be larger than `limit`.
    public func read(_ path: String, limit: Int) throws(Failure) -> [UInt8]? {
        guard let entry = entries[Self.key(path)] else { return nil }
        guard entry.uncompressedSize <= limit else { throw .tooLarge(path: path, limit: limit) }
        let start = try dataStart(of: entry, path: path)
        let stored = bytes[start..<start + entry.compressedSize]
        let output: [UInt8]
        let crc: UInt32
        switch entry.method {
        case 0:
            output = [UInt8](stored)
            crc = Data(stored).crc32(checksum: 0)
        case 8:
            (output, crc) = try inflate(stored, entry: entry, path: path, limit: limit)
        default:
            throw .damaged("\(path) is compressed with an unsupported method")
        }
        guard output.count == entry.uncompressedSize, crc == entry.crc32 else {
            throw .damaged("\(path) is damaged inside the zip archive")
        }
        return output
    }

    // MARK: - Central directory

    /// The directory's offset and entry count from the end-of-central-directory record, searched backwards
    /// past a comment of up to 64 KiB.
    private func endOfCentralDirectory() -> (offset: Int, count: Int)? {
        guard bytes.count >= 22 else { return nil }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        for position in stride(from: bytes.count - 22, through: lowest, by: -1)
        where uint32(at: position) == 0x0605_4B50 {
            guard let count = uint16(at: position + 10), let offset = uint32(at: position + 16) else { return nil }
            return (Int(offset), count)
        }
        return nil
    }

    /// Reads `count` central directory headers starting at `offset`.
    private mutating func readCentralDirectory(offset: Int, count: Int) throws(Failure) {
        var position = offset
        for _ in 0..<count {
            guard uint32(at: position) == 0x0201_4B50,
                let flags = uint16(at: position + 8),
                let method = uint16(at: position + 10),
                let crc = uint32(at: position + 16),
                let compressedSize = uint32(at: position + 20),
                let uncompressedSize = uint32(at: position + 24),
                let nameLength = uint16(at: position + 28),
                let extraLength = uint16(at: position + 30),
                let commentLength = uint16(at: position + 32),
                let localHeaderOffset = uint32(at: position + 42),
                position + 46 + nameLength <= bytes.count
            else {
                throw .damaged("the zip archive's directory is damaged")
            }
            guard flags & 1 == 0 else { throw .damaged("the zip archive is encrypted") }
            let name = String(decoding: bytes[position + 46..<position + 46 + nameLength], as: UTF8.self)
            let entry = Entry(
                method: method,
                crc32: crc,
                compressedSize: Int(compressedSize),
                uncompressedSize: Int(uncompressedSize),
                localHeaderOffset: Int(localHeaderOffset)
            )
            if entries[Self.key(name)] == nil {
                entries[Self.key(name)] = entry
            }
            position += 46 + nameLength + extraLength + commentLength
        }
    }

    /// Where the stored bytes of `entry` start, after its local header; checks that they lie inside the archive.
    private func dataStart(of entry: Entry, path: String) throws(Failure) -> Int {
        let header = entry.localHeaderOffset
        guard uint32(at: header) == 0x0403_4B50,
            let nameLength = uint16(at: header + 26),
            let extraLength = uint16(at: header + 28),
            header + 30 + nameLength + extraLength + entry.compressedSize <= bytes.count
        else {
            throw .damaged("\(path) is cut short or damaged inside the zip archive")
        }
        return header + 30 + nameLength + extraLength
    }

    // MARK: - Inflating

    /// Inflates `stored` with ZIPFoundation, stopping as soon as the output passes `limit` or the declared size;
    /// returns the output and its CRC-32.
    private func inflate(
        _ stored: ArraySlice<UInt8>,
        entry: Entry,
        path: String,
        limit: Int
    ) throws(Failure) -> (output: [UInt8], crc32: UInt32) {
        let chunkSize = 64 << 10
        var output: [UInt8] = []
        output.reserveCapacity(min(entry.uncompressedSize, limit))
        let crc: UInt32
        do {
            crc = try Data.decompress(
                size: Int64(stored.count),
                bufferSize: chunkSize,
                skipCRC32: false,
                provider: { position, size in try Self.chunk(of: stored, at: Int(position), size: size) },
                consumer: { data in
                    output.append(contentsOf: data)
                    if output.count > limit { throw Failure.tooLarge(path: path, limit: limit) }
                    if output.count > entry.uncompressedSize { throw Failure.damaged("\(path) is damaged") }
                }
            )
        } catch {
            throw (error as? Failure) ?? .damaged("\(path) is damaged inside the zip archive")
        }
        return (output, crc)
    }

    /// `size` bytes of `stored` from `position`, padded with zeros past its end (the Linux inflater always
    /// reads a full chunk); throws once the stored bytes are used up, so a cut-short stream cannot loop forever.
    private static func chunk(of stored: ArraySlice<UInt8>, at position: Int, size: Int) throws -> Data {
        guard position < stored.count else { throw Failure.damaged("the zip archive is cut short") }
        let start = stored.startIndex + position
        var chunk = Data(stored[start..<min(start + size, stored.endIndex)])
        if chunk.count < size {
            chunk.append(Data(count: size - chunk.count))
        }
        return chunk
    }

    // MARK: - Bytes

    /// The little-endian 16-bit number at `position`, or nil past the end.
    private func uint16(at position: Int) -> Int? {
        guard position >= 0, position + 2 <= bytes.count else { return nil }
        return Int(bytes[position]) | Int(bytes[position + 1]) << 8
    }

    /// The little-endian 32-bit number at `position`, or nil past the end.
    private func uint32(at position: Int) -> UInt32? {
        guard let low = uint16(at: position), let high = uint16(at: position + 2) else { return nil }
        return UInt32(low) | UInt32(high) << 16
    }

    /// The lookup key of an entry path: no leading slash, forward slashes, lower case.
    private static func key(_ path: String) -> String {
        var key = path.replacingOccurrences(of: "\\", with: "/").lowercased()
        while key.hasPrefix("/") {
            key.removeFirst()
        }
        return key
    }
}
