// Hand-written SHA-1: no crypto library in our allowed dependencies; used only for ZooKeeper digest ACL ids, not security.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zabra {

class Sha1 {
public:
    void update(std::string_view data);
    // Pads and returns the digest; the object must not be used afterwards.
    std::array<std::uint8_t, 20> finish();

private:
    void block(const std::uint8_t* p);

    std::array<std::uint32_t, 5> m_h{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    std::array<std::uint8_t, 64> m_buf{};
    std::size_t m_used = 0;
    std::uint64_t m_len = 0;  // bytes
};

std::array<std::uint8_t, 20> sha1(std::string_view data);

// "user:" + base64(SHA-1(user_colon_password)), as ZooKeeper's
// DigestAuthenticationProvider.generateDigest: the user is the part before
// the first ':' (the whole string if there is none).
std::string zk_digest_id(std::string_view user_colon_password);

}  // namespace zabra
