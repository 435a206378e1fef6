#include "node/client_conns.h"

#include "libformat/common/bytes.h"
#include "node/clock.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace zabra::node {

namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

ClientConns::~ClientConns() { close_all(); }

void ClientConns::listen() {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_listen < 0) throw std::runtime_error("socket: " + errno_text());
    const int one = 1;
    ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(m_c.client_port);
    if (::inet_pton(AF_INET, m_c.client_port_address.c_str(), &a.sin_addr) != 1) {
        throw std::runtime_error(fmt::format("clientPortAddress {} is not an IPv4 address", m_c.client_port_address));
    }
    if (::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        throw std::runtime_error(
            fmt::format("cannot listen on {}:{}: {}", m_c.client_port_address, m_c.client_port, errno_text()));
    }
    if (::listen(m_listen, 128) != 0) throw std::runtime_error("listen: " + errno_text());
}

void ClientConns::accept_all() {
    for (;;) {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        const int fd = ::accept4(m_listen, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        char ip[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
        std::size_t from_ip = 0;
        for (const auto& [id, c] : m_conns) from_ip += c.ip == ip ? 1 : 0;
        if (m_c.max_client_cnxns > 0 && from_ip >= static_cast<std::size_t>(m_c.max_client_cnxns)) {
            m_log(fmt::format("too many connections from {} - max is {}", ip, m_c.max_client_cnxns));
            ::close(fd);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Conn c;
        c.id = m_next_conn++;
        c.fd = fd;
        c.ip = ip;
        c.view.remote = fmt::format("/{}:{}", ip, ntohs(a.sin_port));
        c.view.established_ms = wall_ms();
        m_conns.emplace(c.id, std::move(c));
    }
}

Conn* ClientConns::find(std::uint64_t id) {
    auto it = m_conns.find(id);
    return it == m_conns.end() ? nullptr : &it->second;
}

void ClientConns::read(Conn& c) {
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0) {
            c.close_after_flush = true;
            c.out.clear();
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            c.close_after_flush = true;
            c.out.clear();
            return;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
        if (n < static_cast<ssize_t>(sizeof buf)) return;
    }
}

void ClientConns::send(Conn& c, const std::string& frame) {
    c.out += frame;
    ++c.view.sent;
    ++m_sent;
    write(c);
}

void ClientConns::write(Conn& c) {
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            c.out.clear();
            c.close_after_flush = true;
            return;
        }
        c.out.erase(0, static_cast<std::size_t>(n));
    }
}

NextFrame ClientConns::next(Conn& c) {
    NextFrame f;
    if (c.in.size() < 4) return f;
    if (!c.four_letter_checked) {
        c.four_letter_checked = true;
        std::string word = c.in.substr(0, 4);
        if (is_four_letter_word(word)) {
            // ZooKeeper counts the word as a received packet.
            ++c.view.received;
            ++m_received;
            c.in.clear();
            f.kind = NextFrame::FourLetterWord;
            f.bytes = std::move(word);
            return f;
        }
    }
    const std::uint32_t len = load_be32(reinterpret_cast<const std::uint8_t*>(c.in.data()));
    if (len > kMaxPacket) {
        f.kind = NextFrame::TooLong;
        f.length = len;
        return f;
    }
    if (c.in.size() < 4 + static_cast<std::size_t>(len)) return f;
    f.kind = NextFrame::Frame;
    f.bytes = c.in.substr(4, len);
    c.in.erase(0, 4 + static_cast<std::size_t>(len));
    ++c.view.received;
    ++m_received;
    return f;
}

void ClientConns::close(std::uint64_t id, const std::string& why) {
    auto it = m_conns.find(id);
    if (it == m_conns.end()) return;
    if (!why.empty()) m_log(fmt::format("closed connection {} ({})", it->second.view.remote, why));
    ::close(it->second.fd);
    m_conns.erase(it);
}

std::vector<std::uint64_t> ClientConns::close_flushed() {
    std::vector<std::uint64_t> done;
    for (auto& [id, c] : m_conns) {
        if (c.close_after_flush && c.out.empty()) done.push_back(id);
    }
    for (auto id : done) close(id, "");
    return done;
}

void ClientConns::close_all() {
    for (auto& [id, c] : m_conns) ::close(c.fd);
    m_conns.clear();
    if (m_listen >= 0) ::close(m_listen);
    m_listen = -1;
}

}  // namespace zabra::node
