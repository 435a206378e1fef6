#include "libformat/common/zlib_codec.h"

#include <doctest/doctest.h>

#include <vector>

using namespace zabra;

TEST_CASE("vectorised Adler-32 equals zlib's for every length, alignment and byte pattern") {
    std::vector<std::uint8_t> buf(3 * 5552 + 200);
    std::uint32_t x = 7;
    for (auto& b : buf) b = static_cast<std::uint8_t>((x = x * 1103515245u + 12345u) >> 24);
    for (std::size_t off = 0; off < 17; ++off) {
        for (std::size_t len = 0; len + off <= buf.size(); len += (len < 300 ? 1 : 97)) {
            const ByteSpan s(buf.data() + off, len);
            REQUIRE(adler32_of(s) == adler32_reference(1, s));
        }
    }
    std::vector<std::uint8_t> ff(1 << 20, 0xff);  // the largest sums
    CHECK(adler32_of(ff) == adler32_reference(1, ff));
    CHECK(adler32_update(0xdeadbeef % 65521, ff) == adler32_reference(0xdeadbeef % 65521, ff));
    CHECK(adler32_of(as_bytes("Wikipedia")) == 0x11e60398u);
}
