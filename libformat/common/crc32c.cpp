#include "libformat/common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace zabra {

namespace {

constexpr std::uint32_t kPoly = 0x82F63B78;  // reflected 0x1EDC6F41

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
struct Tables {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    constexpr Tables() {
        for (std::uint32_t b = 0; b < 256; ++b) {
            std::uint32_t c = b;
            for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
            t[0][b] = c;
        }
        for (std::size_t k = 1; k < 8; ++k) {
            for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
        }
    }
};
constexpr Tables kTables;

std::uint32_t extend_portable(std::uint32_t c, const std::uint8_t* p, std::size_t n) {
    const auto& t = kTables.t;
    while (n >= 8) {
        std::uint32_t lo, hi;
        std::memcpy(&lo, p, 4);  // little-endian hosts only, like the rest of zabra
        std::memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t c, const std::uint8_t* p, std::size_t n) {
    std::uint64_t c64 = c;
    while (n >= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        n -= 8;
    }
    c = static_cast<std::uint32_t>(c64);
    while (n-- > 0) c = _mm_crc32_u8(c, *p++);
    return c;
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, ByteSpan bytes) {
    std::uint32_t c = ~crc;
#if defined(__x86_64__)
    if (kHaveSse42) return ~extend_sse42(c, bytes.data(), bytes.size());
#endif
    return ~extend_portable(c, bytes.data(), bytes.size());
}

// For tests: the table path whatever the CPU.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, ByteSpan bytes) {
    return ~extend_portable(~crc, bytes.data(), bytes.size());
}

}  // namespace zabra
