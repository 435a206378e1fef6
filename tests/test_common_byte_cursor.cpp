#include "helpers.h"
#include "libformat/common/mapped_file.h"
#include "libformat/common/byte_cursor.h"

#include <doctest/doctest.h>

#include <filesystem>

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

TEST_CASE("a mapped file gives its descriptor back when it goes, moved or not") {
    auto open_fds = [] {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
        return n;
    };
    const auto log = zabra::test::fixture_logs().front();
    const std::size_t before = open_fds();
    for (int i = 0; i < 100; ++i) {
        zabra::MappedFile m(log);
        zabra::MappedFile moved(std::move(m));
        CHECK(moved.size() > 0);
    }
    CHECK(open_fds() == before);
}
