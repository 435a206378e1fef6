#include "libformat/common/zlib_codec.h"

#include "libformat/common/error.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace zabra {

std::size_t SpanSource::read(std::uint8_t* dst, std::size_t n) {
    const std::size_t k = std::min(n, m_data.size() - m_pos);
    if (k > 0) std::memcpy(dst, m_data.data() + m_pos, k);
    m_pos += k;
    return k;
}

namespace {

// zlib takes uInt lengths; feed it in pieces that fit.
constexpr std::size_t kZlibChunk = 1u << 30;

}  // namespace

std::uint32_t crc32_update(std::uint32_t crc, ByteSpan data) {
    uLong c = crc;
    while (!data.empty()) {
        const std::size_t n = std::min(data.size(), kZlibChunk);
        c = ::crc32(c, data.data(), static_cast<uInt>(n));
        data = data.subspan(n);
    }
    return static_cast<std::uint32_t>(c);
}

std::uint32_t crc32_concat(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
    return static_cast<std::uint32_t>(::crc32_combine(crc_a, crc_b, static_cast<z_off_t>(len_b)));
}

namespace {

class GzipSource final : public ByteSource {
public:
    explicit GzipSource(ByteSpan in) : m_in(in) {
        std::memset(&m_z, 0, sizeof m_z);
        if (inflateInit2(&m_z, 16 + MAX_WBITS) != Z_OK) throw FormatError("zlib: inflateInit2 failed", 0);
    }
    ~GzipSource() override { inflateEnd(&m_z); }

    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        std::size_t produced = 0;
        while (produced < n && !m_done) {
            if (m_z.avail_in == 0) {
                const std::size_t k = std::min(m_in.size() - m_consumed, kZlibChunk);
                m_z.next_in = const_cast<Bytef*>(m_in.data() + m_consumed);
                m_z.avail_in = static_cast<uInt>(k);
                m_consumed += k;
            }
            const std::size_t want = std::min(n - produced, kZlibChunk);
            m_z.next_out = dst + produced;
            m_z.avail_out = static_cast<uInt>(want);
            const int rc = inflate(&m_z, Z_NO_FLUSH);
            produced += want - m_z.avail_out;
            if (rc == Z_STREAM_END) {
                m_done = true;
                const std::uint64_t unused = m_z.avail_in + (m_in.size() - m_consumed);
                if (unused != 0) {
                    throw FormatError(fmt::format("gzip: {} unexpected bytes after the end of the stream", unused),
                                      m_in.size() - unused);
                }
            } else if (rc == Z_BUF_ERROR && m_z.avail_in == 0 && m_consumed == m_in.size()) {
                throw FormatError(fmt::format("gzip: compressed stream is truncated after {} bytes", m_in.size()),
                                  m_in.size());
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                const std::uint64_t at = m_consumed - m_z.avail_in;
                throw FormatError(fmt::format("gzip: {} near compressed offset {}",
                                              m_z.msg ? m_z.msg : "inflate error", at),
                                  at);
            }
        }
        return produced;
    }

    std::uint64_t consumed() const override { return m_consumed - m_z.avail_in; }

private:
    ByteSpan m_in;
    std::size_t m_consumed = 0;
    z_stream m_z;
    bool m_done = false;
};

}  // namespace

std::unique_ptr<ByteSource> make_gzip_source(ByteSpan compressed) {
    return std::make_unique<GzipSource>(compressed);
}

struct GzipWriter::State {
    z_stream z{};
    uLong crc = ::crc32(0L, Z_NULL, 0);
    std::uint64_t size = 0;
    bool started = false;
};

GzipWriter::GzipWriter() : m_state(std::make_unique<State>()) {
    // Java's Deflater: default level, nowrap (raw deflate), 15-bit window, memLevel 8.
    if (deflateInit2(&m_state->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib: deflateInit2 failed");
    }
}

GzipWriter::~GzipWriter() { deflateEnd(&m_state->z); }

namespace {

void pump_deflate(z_stream& z, int flush, std::string& out) {
    std::uint8_t buf[16384];
    do {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        const int rc = deflate(&z, flush);
        if (rc == Z_STREAM_ERROR) throw std::runtime_error("zlib: deflate failed");
        out.append(reinterpret_cast<const char*>(buf), sizeof buf - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && z.avail_in != 0));
}

}  // namespace

void GzipWriter::write(ByteSpan data, std::string& out) {
    if (!m_state->started) {
        m_state->started = true;
        static const char header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, '\xff'};
        out.append(header, sizeof header);
    }
    m_state->crc = ::crc32(m_state->crc, data.data(), static_cast<uInt>(data.size()));
    m_state->size += data.size();
    m_state->z.next_in = const_cast<Bytef*>(data.data());
    m_state->z.avail_in = static_cast<uInt>(data.size());
    pump_deflate(m_state->z, Z_NO_FLUSH, out);
}

void GzipWriter::finish(std::string& out) {
    if (!m_state->started) write({}, out);
    m_state->z.next_in = nullptr;
    m_state->z.avail_in = 0;
    int rc;
    do {
        std::uint8_t buf[16384];
        m_state->z.next_out = buf;
        m_state->z.avail_out = sizeof buf;
        rc = deflate(&m_state->z, Z_FINISH);
        out.append(reinterpret_cast<const char*>(buf), sizeof buf - m_state->z.avail_out);
    } while (rc == Z_OK);
    if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate finish failed");
    const std::uint32_t crc = static_cast<std::uint32_t>(m_state->crc);
    const std::uint32_t isize = static_cast<std::uint32_t>(m_state->size);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(isize >> (8 * i)));
}

}  // namespace zabra
