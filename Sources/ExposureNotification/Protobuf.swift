/// The few protocol-buffer wire rules the export format needs (proto2: varint, fixed64, length-delimited),
/// so the module needs no code generator. Unknown fields are skipped on input, as protobuf requires.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// int32: negative values are sign-extended to ten bytes, as protobuf requires.
    mutating func int32(_ field: Int, _ value: Int32?) {
        guard let value else { return }
        tag(field, 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func sint32(_ field: Int, _ value: Int32?) {
        guard let value else { return }
        tag(field, 0)
        varint(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
    }

    mutating func fixed64(_ field: Int, _ value: UInt64?) {
        guard let value else { return }
        tag(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]?) {
        guard let value else { return }
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String?) { bytes(field, value.map { Array($0.utf8) }) }
}

/// What went wrong reading an export file.
public enum ExportFormatError: Error, Equatable, CustomStringConvertible, Sendable {
    case missingHeader
    case truncated
    case badWireType(field: Int, wireType: Int)
    case invalidUTF8(field: Int)
    case missingFile(String)

    public var description: String {
        switch self {
        case .missingHeader: "export.bin does not start with the 16-byte header \"EK Export v1    \""
        case .truncated: "the protocol buffer ends in the middle of a field"
        case .badWireType(let field, let wireType): "field \(field) has the unexpected wire type \(wireType)"
        case .invalidUTF8(let field): "field \(field) is not valid UTF-8"
        case .missingFile(let name): "the archive has no \(name)"
        }
    }
}

struct ProtobufReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var atEnd: Bool { index >= bytes.endIndex }

    mutating func varint() throws(ExportFormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex, shift < 64 else { throw .truncated }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// The next field's number and wire type.
    mutating func field() throws(ExportFormatError) -> (number: Int, wireType: Int) {
        let key = try varint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func lengthDelimited() throws(ExportFormatError) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.endIndex - index) else { throw .truncated }
        let end = index + Int(length)
        defer { index = end }
        return bytes[index..<end]
    }

    mutating func fixed64() throws(ExportFormatError) -> UInt64 {
        guard bytes.endIndex - index >= 8 else { throw .truncated }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[index + offset]) << UInt64(8 * offset) }
        index += 8
        return value
    }

    mutating func skip(wireType: Int, field: Int) throws(ExportFormatError) {
        switch wireType {
        case 0: _ = try varint()
        case 1: _ = try fixed64()
        case 2: _ = try lengthDelimited()
        case 5:
            guard bytes.endIndex - index >= 4 else { throw .truncated }
            index += 4
        default: throw .badWireType(field: field, wireType: wireType)
        }
    }

    mutating func int32(field: Int, wireType: Int) throws(ExportFormatError) -> Int32 {
        guard wireType == 0 else { throw .badWireType(field: field, wireType: wireType) }
        return Int32(truncatingIfNeeded: try varint())
    }

    mutating func sint32(field: Int, wireType: Int) throws(ExportFormatError) -> Int32 {
        guard wireType == 0 else { throw .badWireType(field: field, wireType: wireType) }
        let raw = UInt32(truncatingIfNeeded: try varint())
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func message(field: Int, wireType: Int) throws(ExportFormatError) -> ArraySlice<UInt8> {
        guard wireType == 2 else { throw .badWireType(field: field, wireType: wireType) }
        return try lengthDelimited()
    }

    mutating func string(field: Int, wireType: Int) throws(ExportFormatError) -> String {
        let slice = try message(field: field, wireType: wireType)
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }
}
