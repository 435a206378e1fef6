// Adler-32, vectorised: ZooKeeper checksums every log record and snapshot
// byte with it, and zlib 1.2.13's version is scalar. Over a block of 32
// bytes b0..b31 starting from (s1, s2):
//   s1' = s1 + sum(b_i)
//   s2' = s2 + 32 * s1 + sum((32 - i) * b_i)
// The sums stay in 32-bit lanes for up to 5552 bytes (zlib's NMAX) before
// they are reduced modulo 65521. Without SSSE3 zlib does the work.
#include "libformat/common/zlib_codec.h"

#include <zlib.h>

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace zabra {

namespace {

constexpr std::uint32_t kBase = 65521;
constexpr std::size_t kNmax = 5552;

std::uint32_t adler32_zlib(std::uint32_t adler, const std::uint8_t* p, std::size_t n) {
    uLong a = adler;
    while (n > 0) {
        const std::size_t k = std::min<std::size_t>(n, 1u << 30);
        a = ::adler32(a, p, static_cast<uInt>(k));
        p += k;
        n -= k;
    }
    return static_cast<std::uint32_t>(a);
}

#if defined(__x86_64__)
__attribute__((target("ssse3"))) std::uint32_t adler32_ssse3(std::uint32_t adler, const std::uint8_t* p,
                                                              std::size_t n) {
    std::uint32_t s1 = adler & 0xffff;
    std::uint32_t s2 = adler >> 16;
    const __m128i weights_hi = _mm_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17);
    const __m128i weights_lo = _mm_setr_epi8(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    const __m128i zero = _mm_setzero_si128();
    const __m128i ones = _mm_set1_epi16(1);
    auto lane_sum = [](__m128i v) {
        v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
        v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
        return static_cast<std::uint32_t>(_mm_cvtsi128_si32(v));
    };
    while (n >= 32) {
        const std::size_t blocks = std::min(n, kNmax) / 32;
        n -= blocks * 32;
        // prefix: sum over blocks of the byte total before each block
        __m128i prefix = zero;
        __m128i bytes_total = zero;
        __m128i weighted = zero;
        for (std::size_t b = 0; b < blocks; ++b, p += 32) {
            const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
            prefix = _mm_add_epi32(prefix, bytes_total);
            bytes_total = _mm_add_epi32(bytes_total, _mm_sad_epu8(hi, zero));
            bytes_total = _mm_add_epi32(bytes_total, _mm_sad_epu8(lo, zero));
            weighted = _mm_add_epi32(weighted, _mm_madd_epi16(_mm_maddubs_epi16(hi, weights_hi), ones));
            weighted = _mm_add_epi32(weighted, _mm_madd_epi16(_mm_maddubs_epi16(lo, weights_lo), ones));
        }
        // s2 gains 32 * s1 for every block, 32 * the bytes before each block,
        // and the weighted bytes; all below 2^32 within kNmax bytes.
        const std::uint64_t s2_wide = s2 + 32ull * blocks * s1 + 32ull * lane_sum(prefix) + lane_sum(weighted);
        s1 = (s1 + lane_sum(bytes_total)) % kBase;
        s2 = static_cast<std::uint32_t>(s2_wide % kBase);
    }
    // Fewer than 32 bytes left: no overflow is possible before the reduction.
    for (; n > 0; --n) {
        s1 += *p++;
        s2 += s1;
    }
    return ((s2 % kBase) << 16) | (s1 % kBase);
}
#endif

bool have_ssse3() {
#if defined(__x86_64__)
    static const bool yes = __builtin_cpu_supports("ssse3");
    return yes;
#else
    return false;
#endif
}

}  // namespace

std::uint32_t adler32_update(std::uint32_t adler, ByteSpan data) {
#if defined(__x86_64__)
    if (have_ssse3()) return adler32_ssse3(adler, data.data(), data.size());
#endif
    return adler32_zlib(adler, data.data(), data.size());
}

std::uint32_t adler32_of(ByteSpan data) { return adler32_update(kAdler32Initial, data); }

std::uint32_t adler32_reference(std::uint32_t adler, ByteSpan data) {
    return adler32_zlib(adler, data.data(), data.size());
}

}  // namespace zabra
