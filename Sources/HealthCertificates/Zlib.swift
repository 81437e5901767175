import CompressNIO
import Foundation
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
        (wrapper == .zlib ? zlibPool : rawPool).compress(bytes)
    }

    /// HC1: a certificate (a signature, identifiers, a name) does not compress: stored blocks (level 0)
    /// come out no larger than zlib's best and cost a microsecond, and every zlib reader accepts them.
    static let zlibPool = CompressorPool(.zlib, level: 0)
    /// SMART Health Cards: JSON, which compresses well, at zlib's best.
    static let rawPool = CompressorPool(.deflate, level: 9)

    /// Compressors kept for reuse: setting up zlib's state (and clearing its tables) costs more than
    /// compressing a certificate, so a compressor is reset and reused instead of made per call.
    final class CompressorPool: @unchecked Sendable {
        let algorithm: ZlibAlgorithm
        let level: Int32
        let lock = NSLock()
        var idle: [ZlibCompressor] = []

        init(_ algorithm: ZlibAlgorithm, level: Int32) {
            self.algorithm = algorithm
            self.level = level
        }

        func compress(_ bytes: [UInt8]) -> [UInt8] {
            lock.lock()
            let reused = idle.popLast()
            lock.unlock()
            // A payload is well under 4 KiB: a 4 KiB window and a small hash table compress it as well
            // as the defaults. Compressing in memory fails only if zlib cannot allocate its state.
            guard
                let compressor = reused
                    ?? (try? ZlibCompressor(
                        algorithm: algorithm,
                        configuration: ZlibConfiguration(windowSize: 12, compressionLevel: level, memoryLevel: 5)
                    ))
            else { preconditionFailure("zlib could not allocate its state") }
            var input = ByteBuffer(bytes: bytes)
            var output = ByteBuffer()
            output.reserveCapacity(compressor.maxSize(from: input))
            do {
                try compressor.deflate(from: &input, to: &output, flush: .finish)
                try compressor.reset()
            } catch {
                preconditionFailure("zlib failed on a buffer sized by deflateBound: \(error)")
            }
            lock.lock()
            if idle.count < 16 { idle.append(compressor) }
            lock.unlock()
            return output.readBytes(length: output.readableBytes) ?? []
        }
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
        if wrapper == .zlib, let stored = storedBlocks(bytes, maxOutput: maxOutput) { return stored }
        var input = ByteBuffer(bytes: bytes)
        var output: ByteBuffer
        do {
            output = try input.decompress(with: algorithm(wrapper), maxSize: maxOutput)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw DecompressionError(reason: "inflates to more than \(maxOutput) bytes")
        } catch {
            throw DecompressionError(reason: "corrupt or truncated data (\(error))")
        }
        // compress-nio's limit is approximate (its buffers round up): hold it exactly here.
        guard output.readableBytes <= maxOutput else {
            throw DecompressionError(reason: "inflates to more than \(maxOutput) bytes")
        }
        let inflated = output.readBytes(length: output.readableBytes) ?? []
        // compress-nio returns what it inflated from a cut-off stream without complaint; a whole zlib
        // stream ends with the Adler-32 of its content.
        if wrapper == .zlib, bytes.count >= 4, bigEndian32(bytes, at: bytes.count - 4) != adler32(inflated) {
            throw DecompressionError(reason: "truncated or corrupt data (the checksum does not match)")
        }
        return inflated
    }

    /// The decompression algorithm (a 32 KiB window reads any stream).
    static func algorithm(_ wrapper: Wrapper) -> CompressionAlgorithm {
        let configuration = ZlibConfiguration(windowSize: 15)
        return wrapper == .zlib ? .zlib(configuration: configuration) : .deflate(configuration: configuration)
    }

    /// A zlib stream made only of stored (uncompressed) blocks, as we write certificates (a certificate's
    /// bytes do not compress), read directly: the blocks' lengths, their one's complements and the
    /// Adler-32 are all checked. Anything else (a compressed block, a preset dictionary, a mismatch)
    /// answers nil and goes to zlib, which then reports what is wrong.
    static func storedBlocks(_ bytes: [UInt8], maxOutput: Int) -> [UInt8]? {
        guard bytes.count >= 2 + 5 + 4, bytes[1] & 0x20 == 0 else { return nil }
        var out: [UInt8] = []
        var p = 2
        while true {
            guard p + 5 <= bytes.count, bytes[p] & 0x06 == 0 else { return nil }
            let final = bytes[p] & 1 == 1
            let length = Int(bytes[p + 1]) | Int(bytes[p + 2]) << 8
            let complement = Int(bytes[p + 3]) | Int(bytes[p + 4]) << 8
            guard length ^ complement == 0xFFFF, p + 5 + length <= bytes.count, out.count + length <= maxOutput else {
                return nil
            }
            out += bytes[(p + 5)..<(p + 5 + length)]
            p += 5 + length
            if final { break }
        }
        guard p + 4 == bytes.count else { return nil }
        return bigEndian32(bytes, at: p) == adler32(out) ? out : nil
    }

    static func bigEndian32(_ bytes: [UInt8], at p: Int) -> UInt32 {
        UInt32(bytes[p]) << 24 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 8 | UInt32(bytes[p + 3])
    }

    /// Adler-32 (RFC 1950).
    static func adler32(_ out: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        var index = 0
        while index < out.count {
            // 5552 bytes is the most that can be summed before the sums could overflow 32 bits.
            let end = min(index + 5552, out.count)
            for i in index..<end {
                a &+= UInt32(out[i])
                b &+= a
            }
            a %= 65521
            b %= 65521
            index = end
        }
        return b << 16 | a
    }
}
