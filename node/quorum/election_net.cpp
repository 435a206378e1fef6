#include "node/quorum/election_net.h"

#include "libformat/common/error.h"
#include "node/quorum/election_wire.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace zabra::node::quorum {

ElectionNet::ElectionNet(std::int64_t my_sid, std::map<std::int64_t, ElectionMember> voters, LogLine log)
    : m_sid(my_sid), m_voters(std::move(voters)), m_log(std::move(log)) {
    for (const auto& [sid, m] : m_voters) m_addresses.emplace(sid, resolve_tcp(m.host, m.port));
}

ElectionNet::~ElectionNet() {
    for (auto& [id, c] : m_conns) ::close(c.fd);
    if (m_listen >= 0) ::close(m_listen);
}

void ElectionNet::listen() {
    auto it = m_addresses.find(m_sid);
    if (it == m_addresses.end()) throw std::runtime_error(fmt::format("server.{} is not in the config", m_sid));
    m_listen = tcp_listen(it->second);
}

std::optional<std::uint64_t> ElectionNet::conn_of(std::int64_t sid) const {
    auto it = m_by_sid.find(sid);
    if (it == m_by_sid.end()) return std::nullopt;
    return it->second;
}

void ElectionNet::send(std::int64_t to, std::string payload) {
    if (to == m_sid) {  // QuorumCnxManager.toSend: to myself, straight to the receive queue
        m_received.emplace_back(m_sid, std::move(payload));
        return;
    }
    if (!m_voters.count(to)) return;
    m_queue[to] = std::move(payload);
    if (conn_of(to)) {
        flush_queue(to);
    } else {
        connect_one(to, m_now_ms);
    }
}

void ElectionNet::connect_one(std::int64_t sid, std::int64_t now_ms) {
    for (const auto& [id, c] : m_conns) {
        if (c.sid == sid && c.connecting) return;  // one attempt at a time
    }
    Conn c;
    try {
        c.fd = tcp_connect(m_addresses.at(sid));
    } catch (const std::exception& e) {
        m_log(fmt::format("election: cannot open a connection to server {}: {}", sid, e.what()));
        return;
    }
    c.sid = sid;
    c.connecting = true;
    c.deadline_ms = now_ms + kConnectTimeoutMs;
    c.out = encode_connection_header(m_sid, m_voters.at(m_sid).host + ":" + std::to_string(m_voters.at(m_sid).port));
    if (sid > m_sid) {
        // The larger sid keeps the connection it opens: we say who we are and
        // leave; it connects back.
        c.close_after_flush = true;
    }
    m_conns.emplace(m_next_id++, std::move(c));
}

void ElectionNet::established(std::uint64_t id, std::int64_t sid) {
    if (auto old = conn_of(sid); old && *old != id) drop(*old, "replaced by a newer connection");
    m_conns.at(id).sid = sid;
    m_by_sid[sid] = id;
    if (!m_queue.count(sid)) {
        // SendWorker: a new connection starts with the last message sent, so
        // a peer that lost it still gets our vote.
        if (auto last = m_last_sent.find(sid); last != m_last_sent.end()) m_queue[sid] = last->second;
    }
    flush_queue(sid);
}

void ElectionNet::flush_queue(std::int64_t sid) {
    auto q = m_queue.find(sid);
    auto id = conn_of(sid);
    if (q == m_queue.end() || !id) return;
    Conn& c = m_conns.at(*id);
    if (c.connecting) return;
    c.out += frame(q->second);
    m_last_sent[sid] = std::move(q->second);
    m_queue.erase(q);
}

void ElectionNet::add_pollfds(std::vector<pollfd>& fds) {
    m_polled.clear();
    if (m_listen >= 0) fds.push_back({m_listen, POLLIN, 0});
    for (const auto& [id, c] : m_conns) {
        short ev = c.connecting ? POLLOUT : POLLIN;
        if (!c.out.empty()) ev |= POLLOUT;
        fds.push_back({c.fd, ev, 0});
        m_polled.push_back(id);
    }
}

void ElectionNet::on_poll(const std::vector<pollfd>& fds, std::int64_t now_ms) {
    m_now_ms = now_ms;
    // fds holds the caller's own entries first; ours are the last 1 + m_polled.size().
    const std::size_t ours = m_polled.size() + (m_listen >= 0 ? 1 : 0);
    if (fds.size() < ours) return;
    std::size_t i = fds.size() - ours;
    if (m_listen >= 0) {
        if (fds[i].revents & POLLIN) {
            for (int fd; (fd = tcp_accept(m_listen)) >= 0;) {
                Conn c;
                c.fd = fd;
                c.deadline_ms = now_ms + kConnectTimeoutMs;  // its header must come within cnxTO
                m_conns.emplace(m_next_id++, std::move(c));
            }
        }
        ++i;
    }
    const std::vector<std::uint64_t> polled = m_polled;
    for (const std::uint64_t id : polled) {
        const short rev = fds[i++].revents;
        auto it = m_conns.find(id);
        if (it == m_conns.end()) continue;
        Conn& c = it->second;
        if (c.connecting) {
            if (!(rev & (POLLOUT | POLLERR | POLLHUP))) continue;
            if (const int err = connect_error(c.fd); err != 0) {
                drop(id, fmt::format("cannot connect to server {}: {}", c.sid, std::strerror(err)));
                continue;
            }
            c.connecting = false;
            if (!c.close_after_flush) established(id, c.sid);
        }
        if ((rev & POLLIN) || ((rev & (POLLHUP | POLLERR)) && !(rev & POLLOUT))) read_from(id, now_ms);
        it = m_conns.find(id);
        if (it == m_conns.end()) continue;
        if (!it->second.out.empty()) write_to(it->second);
        if (it->second.out.empty() && it->second.close_after_flush) drop(id, "");
    }
    // Connections that neither connected nor introduced themselves in time.
    std::vector<std::uint64_t> late;
    for (const auto& [id, c] : m_conns) {
        if ((c.connecting || c.sid < 0) && now_ms > c.deadline_ms) late.push_back(id);
    }
    for (const std::uint64_t id : late) drop(id, "timed out");
}

void ElectionNet::read_from(std::uint64_t id, std::int64_t now_ms) {
    Conn& c = m_conns.at(id);
    char buf[65536];
    bool closed = false;
    for (;;) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
            c.in.append(buf, static_cast<std::size_t>(n));
            if (c.in.size() > kMaxElectionFrame + 4 + kMaxHeaderAddress + 20) break;  // parsed below, bounded
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed = true;
        break;
    }
    try {
        if (c.sid < 0) {
            std::size_t used = 0;
            const auto h = decode_connection_header(as_bytes(c.in), used);
            if (!h) {
                if (closed) drop(id, "closed before its header");
                return;
            }
            c.in.erase(0, used);
            if (!m_voters.count(h->sid) || h->sid == m_sid) {
                drop(id, fmt::format("a connection from server {}, which is not a voter in the config", h->sid));
                return;
            }
            if (h->sid < m_sid) {
                // Only the larger sid's connection survives: drop this one, open ours.
                const std::int64_t sid = h->sid;
                drop(id, "");
                connect_one(sid, now_ms);
                return;
            }
            established(id, h->sid);
        }
        Conn& cc = m_conns.at(id);
        for (;;) {
            std::size_t used = 0;
            auto payload = next_frame(as_bytes(cc.in), used);
            if (!payload) break;
            cc.in.erase(0, used);
            m_received.emplace_back(cc.sid, std::move(*payload));
        }
    } catch (const FormatError& e) {
        drop(id, fmt::format("bad election bytes: {}", e.what()));
        return;
    }
    if (closed) drop(id, "");
}

void ElectionNet::write_to(Conn& c) {
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        c.out.erase(0, static_cast<std::size_t>(n));
    }
}

void ElectionNet::drop(std::uint64_t id, const std::string& why) {
    auto it = m_conns.find(id);
    if (it == m_conns.end()) return;
    if (!why.empty()) m_log(fmt::format("election: dropping a connection{}: {}",
                                        it->second.sid >= 0 ? fmt::format(" with server {}", it->second.sid) : "", why));
    for (auto s = m_by_sid.begin(); s != m_by_sid.end();) s = s->second == id ? m_by_sid.erase(s) : std::next(s);
    ::close(it->second.fd);
    m_conns.erase(it);
}

std::vector<std::pair<std::int64_t, std::string>> ElectionNet::take_received() {
    std::vector<std::pair<std::int64_t, std::string>> out(m_received.begin(), m_received.end());
    m_received.clear();
    return out;
}

std::vector<std::int64_t> ElectionNet::connected() const {
    std::vector<std::int64_t> out;
    for (const auto& [sid, id] : m_by_sid) out.push_back(sid);
    return out;
}

}  // namespace zabra::node::quorum
