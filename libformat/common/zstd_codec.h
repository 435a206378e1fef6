// Streaming zstd (libzstd): compression to a sink, decompression as a ByteSource.
#pragma once

#include "libformat/common/byte_source.h"

#include <functional>
#include <memory>
#include <string>

namespace zabra {

constexpr std::uint8_t kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
bool is_zstd(ByteSpan data);

// Decompresses every frame in `compressed`; throws FormatError on damage.
std::unique_ptr<ByteSource> make_zstd_source(ByteSpan compressed);

class ZstdWriter {
public:
    using Sink = std::function<void(ByteSpan)>;
    ZstdWriter(int level, Sink sink);
    ~ZstdWriter();
    ZstdWriter(const ZstdWriter&) = delete;
    ZstdWriter& operator=(const ZstdWriter&) = delete;

    void write(ByteSpan data);
    void finish();

private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace zabra
