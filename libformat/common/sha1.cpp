// Hand-written SHA-1: no crypto library in our allowed dependencies; used only for ZooKeeper digest ACL ids, not security.
#include "libformat/common/sha1.h"

#include <algorithm>
#include <bit>

namespace zabra {

void Sha1::block(const std::uint8_t* p) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
        w[i] = std::uint32_t{p[4 * i]} << 24 | std::uint32_t{p[4 * i + 1]} << 16 |
               std::uint32_t{p[4 * i + 2]} << 8 | std::uint32_t{p[4 * i + 3]};
    }
    for (int i = 16; i < 80; ++i) w[i] = std::rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = m_h[0], b = m_h[1], c = m_h[2], d = m_h[3], e = m_h[4];
    for (int i = 0; i < 80; ++i) {
        std::uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const std::uint32_t t = std::rotl(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = std::rotl(b, 30);
        b = a;
        a = t;
    }
    m_h[0] += a;
    m_h[1] += b;
    m_h[2] += c;
    m_h[3] += d;
    m_h[4] += e;
}

void Sha1::update(std::string_view data) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t n = data.size();
    m_len += n;
    if (m_used > 0) {
        const std::size_t k = std::min(n, 64 - m_used);
        std::copy_n(p, k, m_buf.data() + m_used);
        m_used += k;
        p += k;
        n -= k;
        if (m_used < 64) return;
        block(m_buf.data());
        m_used = 0;
    }
    for (; n >= 64; p += 64, n -= 64) block(p);
    std::copy_n(p, n, m_buf.data());
    m_used = n;
}

std::array<std::uint8_t, 20> Sha1::finish() {
    const std::uint64_t bits = m_len * 8;
    m_buf[m_used++] = 0x80;
    if (m_used > 56) {
        std::fill(m_buf.begin() + static_cast<std::ptrdiff_t>(m_used), m_buf.end(), std::uint8_t{0});
        block(m_buf.data());
        m_used = 0;
    }
    std::fill(m_buf.begin() + static_cast<std::ptrdiff_t>(m_used), m_buf.begin() + 56, std::uint8_t{0});
    for (int i = 0; i < 8; ++i) m_buf[static_cast<std::size_t>(56 + i)] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    block(m_buf.data());
    std::array<std::uint8_t, 20> out{};
    for (std::size_t i = 0; i < 20; ++i) out[i] = static_cast<std::uint8_t>(m_h[i / 4] >> (24 - 8 * (i % 4)));
    return out;
}

std::array<std::uint8_t, 20> sha1(std::string_view data) {
    Sha1 h;
    h.update(data);
    return h.finish();
}

std::string zk_digest_id(std::string_view user_colon_password) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto d = sha1(user_colon_password);
    std::string out(user_colon_password.substr(0, user_colon_password.find(':')));
    out += ':';
    for (std::size_t i = 0; i < d.size(); i += 3) {
        const std::uint32_t v = std::uint32_t{d[i]} << 16 | (i + 1 < d.size() ? std::uint32_t{d[i + 1]} << 8 : 0u) |
                                (i + 2 < d.size() ? std::uint32_t{d[i + 2]} : 0u);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < d.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += i + 2 < d.size() ? kAlphabet[v & 63] : '=';
    }
    return out;
}

}  // namespace zabra
