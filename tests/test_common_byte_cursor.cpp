#include "libformat/common/byte_cursor.h"

#include <doctest/doctest.h>

using zabra::ByteCursor;

TEST_CASE("ByteCursor reads big-endian integers in order") {
    const std::uint8_t b[] = {0x5a, 0x4b, 0x4c, 0x47, 0, 0, 0, 0, 0, 0, 0, 2, 7};
    ByteCursor c(b);
    CHECK(c.be32() == 0x5a4b4c47u);
    CHECK(c.be64() == 2u);
    CHECK(c.position() == 12);
    CHECK(c.u8() == 7);
    CHECK(c.at_end());
}

TEST_CASE("ByteCursor refuses to read past the end and names the offset") {
    const std::uint8_t b[] = {1, 2, 3};
    ByteCursor c(b, 100);
    c.u8();
    try {
        c.be32();
        FAIL("expected TruncatedError");
    } catch (const zabra::TruncatedError& e) {
        CHECK(e.offset() == 101);
        CHECK(std::string(e.what()).find("offset 101") != std::string::npos);
    }
    CHECK(c.remaining() == 2);  // a failed read consumes nothing
}
