import CompressNIO
import NIOCore

/// zlib (RFC 1950) and raw DEFLATE (RFC 1951), bounded on the way in.
public enum Deflate {
    public enum Wrapper: Sendable { case zlib, raw }

    public struct DecompressionError: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "decompression: \(reason)" }
    }

    /// The largest output we inflate: a QR code holds under 3 KB, so 64 KiB leaves room and stops a
    /// decompression bomb.
    public static let maxOutput = 64 * 1024

    public static func compress(_ bytes: [UInt8], _ wrapper: Wrapper = .zlib) -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        // Compressing a buffer in memory fails only if zlib cannot allocate its state.
        guard var output = try? input.compress(with: algorithm(wrapper, level: 9)) else {
            preconditionFailure("zlib could not allocate its state")
        }
        return output.readBytes(length: output.readableBytes) ?? []
    }

    public static func decompress(
        _ bytes: [UInt8],
        _ wrapper: Wrapper = .zlib,
        maxOutput: Int = maxOutput
    ) throws(DecompressionError) -> [UInt8] {
        guard !bytes.isEmpty else { throw DecompressionError(reason: "no data") }
        if wrapper == .zlib {
            // RFC 1950 header: method 8 (deflate) and a check value that makes the first two bytes a multiple of 31.
            guard bytes.count >= 2, bytes[0] & 0x0F == 8, (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) % 31 == 0 else {
                throw DecompressionError(reason: "not zlib data (no zlib header)")
            }
        }
        var input = ByteBuffer(bytes: bytes)
        do {
            var output = try input.decompress(with: algorithm(wrapper, level: 9), maxSize: maxOutput)
            return output.readBytes(length: output.readableBytes) ?? []
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw DecompressionError(reason: "inflates to more than \(maxOutput) bytes")
        } catch {
            throw DecompressionError(reason: "corrupt or truncated data (\(error))")
        }
    }

    static func algorithm(_ wrapper: Wrapper, level: Int32) -> CompressionAlgorithm {
        let configuration = ZlibConfiguration(windowSize: 15, compressionLevel: level)
        return wrapper == .zlib ? .zlib(configuration: configuration) : .deflate(configuration: configuration)
    }
}
