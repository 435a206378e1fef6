// Everything zabra needs from zlib: Adler-32 (ZooKeeper's txn and snapshot
// checksums), CRC-32 (ZooKeeper's digest), and gzip streams as written by
// java.util.zip.GZIPOutputStream.
#pragma once

#include "libformat/common/byte_source.h"

#include <memory>
#include <string>

namespace zabra {

// Adler-32 (adler32.cpp: vectorised where the CPU allows, zlib otherwise).
std::uint32_t adler32_of(ByteSpan data);
std::uint32_t adler32_update(std::uint32_t adler, ByteSpan data);
std::uint32_t adler32_reference(std::uint32_t adler, ByteSpan data);  // zlib's, for tests
constexpr std::uint32_t kAdler32Initial = 1;

std::uint32_t crc32_update(std::uint32_t crc, ByteSpan data);
// CRC-32 of A followed by B, from CRC-32(A), CRC-32(B) and B's length.
std::uint32_t crc32_concat(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);

// Decompresses one gzip member from `compressed`. The gzip CRC-32 and size
// trailer are checked; trailing bytes after the member are an error.
std::unique_ptr<ByteSource> make_gzip_source(ByteSpan compressed);

// Compresses like Java 17's GZIPOutputStream: header 1f8b 0800 00000000 00ff,
// raw deflate at the default level, CRC-32 and ISIZE trailer.
class GzipWriter {
public:
    GzipWriter();
    ~GzipWriter();
    GzipWriter(const GzipWriter&) = delete;
    GzipWriter& operator=(const GzipWriter&) = delete;

    void write(ByteSpan data, std::string& out);
    void finish(std::string& out);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace zabra
