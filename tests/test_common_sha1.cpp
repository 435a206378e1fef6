#include "libformat/common/sha1.h"

#include <doctest/doctest.h>

#include <string>

using namespace zabra;

namespace {

std::string hex(const std::array<std::uint8_t, 20>& d) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t b : d) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

}  // namespace

TEST_CASE("SHA-1 matches the FIPS 180 test vectors") {
    CHECK(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(hex(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(hex(sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("SHA-1 fed in two parts split at any offset equals the one-shot digest") {
    std::string input(200, '\0');
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>(i * 37 + 11);
    const auto expected = sha1(input);
    const std::string_view all(input);
    for (std::size_t split = 0; split <= input.size(); ++split) {
        CAPTURE(split);
        Sha1 h;
        h.update(all.substr(0, split));
        h.update(all.substr(split));
        CHECK(h.finish() == expected);
    }
}

// Expected ids printed by ZooKeeper 3.8.0 itself (Debian's zookeeper package):
//   java -cp /usr/share/java/zookeeper.jar:$(ls /usr/share/java/*.jar | tr '\n' ':')
//       org.apache.zookeeper.server.auth.DigestAuthenticationProvider super:test user:pass 'a:b:c' nocolon ':'
// which prints lines such as "user:pass->user:smGaoVKd/cQkjm7b88GyorAUz20=".
TEST_CASE("ZooKeeper digest ids equal DigestAuthenticationProvider.generateDigest's") {
    CHECK(zk_digest_id("super:test") == "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    CHECK(zk_digest_id("user:pass") == "user:smGaoVKd/cQkjm7b88GyorAUz20=");
    CHECK(zk_digest_id("a:b:c") == "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=");  // user ends at the first ':'
    CHECK(zk_digest_id("nocolon") == "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=");
    CHECK(zk_digest_id(":") == ":BaefBs8/Z/cm2uaNGKIpD2yaUMk=");
}
