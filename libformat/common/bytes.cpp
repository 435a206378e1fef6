#include "libformat/common/bytes.h"

#include <algorithm>
#include <cstring>

namespace zabra {

bool all_zero(ByteSpan b) {
    // Padding regions are megabytes long: OR 256-byte blocks together (the
    // compiler vectorises the block) and test once per block.
    std::size_t i = 0;
    for (; i + 256 <= b.size(); i += 256) {
        std::uint64_t acc = 0;
        for (std::size_t j = 0; j < 256; j += 8) {
            std::uint64_t w;
            std::memcpy(&w, b.data() + i + j, 8);
            acc |= w;
        }
        if (acc != 0) return false;
    }
    for (; i + 8 <= b.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, b.data() + i, 8);
        if (w != 0) return false;
    }
    for (; i < b.size(); ++i) {
        if (b[i] != 0) return false;
    }
    return true;
}

std::uint64_t count_nonzero(ByteSpan b) {
    return static_cast<std::uint64_t>(std::count_if(b.begin(), b.end(), [](std::uint8_t c) { return c != 0; }));
}

std::size_t ascii_run_end(std::string_view s, std::size_t from) {
    constexpr std::uint64_t kHighs = 0x8080808080808080ull;
    std::size_t i = from;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if ((w & kHighs) != 0) break;
    }
    while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
    return i;
}

}  // namespace zabra
