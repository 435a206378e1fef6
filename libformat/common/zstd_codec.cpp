#include "libformat/common/zstd_codec.h"

#include "libformat/common/error.h"

#include <fmt/format.h>
#include <zstd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace zabra {

bool is_zstd(ByteSpan data) { return data.size() >= 4 && std::memcmp(data.data(), kZstdMagic, 4) == 0; }

namespace {

class ZstdSource final : public ByteSource {
public:
    explicit ZstdSource(ByteSpan in) : m_in(in), m_ctx(ZSTD_createDStream()) {
        if (m_ctx == nullptr) throw std::runtime_error("zstd: cannot create a decompression context");
        ZSTD_initDStream(m_ctx);
        m_input = {in.data(), in.size(), 0};
    }
    ~ZstdSource() override { ZSTD_freeDStream(m_ctx); }

    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        ZSTD_outBuffer out{dst, n, 0};
        while (out.pos < out.size) {
            if (m_input.pos == m_input.size) {
                if (m_last != 0) {
                    throw TruncatedError(fmt::format("zstd: compressed data ends inside a frame (at {})", m_in.size()),
                                         m_in.size());
                }
                break;
            }
            m_last = ZSTD_decompressStream(m_ctx, &out, &m_input);
            if (ZSTD_isError(m_last)) {
                throw FormatError(fmt::format("zstd: {} near compressed offset {}", ZSTD_getErrorName(m_last),
                                              m_input.pos),
                                  m_input.pos);
            }
        }
        return out.pos;
    }

private:
    ByteSpan m_in;
    ZSTD_DStream* m_ctx;
    ZSTD_inBuffer m_input;
    std::size_t m_last = 0;  // 0: at a frame boundary
};

}  // namespace

std::unique_ptr<ByteSource> make_zstd_source(ByteSpan compressed) { return std::make_unique<ZstdSource>(compressed); }

struct ZstdWriter::State {
    ZSTD_CCtx* ctx = nullptr;
    Sink sink;
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(ZSTD_CStreamOutSize());
};

ZstdWriter::ZstdWriter(int level, Sink sink) : m_state(std::make_unique<State>()) {
    m_state->ctx = ZSTD_createCCtx();
    if (m_state->ctx == nullptr) throw std::runtime_error("zstd: cannot create a compression context");
    ZSTD_CCtx_setParameter(m_state->ctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(m_state->ctx, ZSTD_c_checksumFlag, 1);
    m_state->sink = std::move(sink);
}

ZstdWriter::~ZstdWriter() { ZSTD_freeCCtx(m_state->ctx); }

void ZstdWriter::write(ByteSpan data) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) {
        ZSTD_outBuffer out{m_state->buf.data(), m_state->buf.size(), 0};
        const std::size_t rc = ZSTD_compressStream2(m_state->ctx, &out, &in, ZSTD_e_continue);
        if (ZSTD_isError(rc)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(rc));
        if (out.pos) m_state->sink({m_state->buf.data(), out.pos});
    }
}

void ZstdWriter::finish() {
    ZSTD_inBuffer in{nullptr, 0, 0};
    std::size_t left;
    do {
        ZSTD_outBuffer out{m_state->buf.data(), m_state->buf.size(), 0};
        left = ZSTD_compressStream2(m_state->ctx, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(left)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(left));
        if (out.pos) m_state->sink({m_state->buf.data(), out.pos});
    } while (left != 0);
}

}  // namespace zabra
