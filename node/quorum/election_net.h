// QuorumCnxManager: the election port's connections (doc/zab-election.md).
// One TCP connection per pair of servers survives, the one the larger sid
// opened: a server opening to a larger sid sends its header and closes, the
// larger one drops a connection from a smaller sid and connects back. Each
// peer has a send queue of one (a newer notification replaces an unsent
// one), and a new connection first carries the last message sent to that
// peer. A connection naming a sid that is not a voter, a bad header or frame
// drops that connection only. Messages to oneself loop back.
//
// Non-blocking, driven by the caller's poll loop: add_pollfds, then on_poll
// with the same fds; take_received gives (sid, payload) in arrival order.
#pragma once

#include "node/persistence.h"
#include "node/tcp.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <poll.h>
#include <string>
#include <utility>
#include <vector>

namespace zabra::node::quorum {

struct ElectionMember {
    std::int64_t sid = 0;
    std::string host;
    std::uint16_t port = 0;  // its election port
};

class ElectionNet {
public:
    static constexpr std::int64_t kConnectTimeoutMs = 5000;  // QuorumCnxManager's cnxTO

    ElectionNet(std::int64_t my_sid, std::map<std::int64_t, ElectionMember> voters, LogLine log);
    ~ElectionNet();
    ElectionNet(const ElectionNet&) = delete;
    ElectionNet& operator=(const ElectionNet&) = delete;

    // Listens on this server's own election address, and only there.
    void listen();
    void send(std::int64_t to, std::string payload);

    void add_pollfds(std::vector<pollfd>& fds);
    void on_poll(const std::vector<pollfd>& fds, std::int64_t now_ms);
    std::vector<std::pair<std::int64_t, std::string>> take_received();

    // For the logs and the tests: the sids with an established connection.
    std::vector<std::int64_t> connected() const;

private:
    struct Conn {
        int fd = -1;
        std::int64_t sid = -1;      // -1: accepted, header not read yet
        bool connecting = false;    // our connect() in progress
        bool close_after_flush = false;
        std::int64_t deadline_ms = 0;
        std::string in, out;
    };

    void connect_one(std::int64_t sid, std::int64_t now_ms);
    void established(std::uint64_t id, std::int64_t sid);
    void flush_queue(std::int64_t sid);
    void read_from(std::uint64_t id, std::int64_t now_ms);
    void write_to(Conn& c);
    void drop(std::uint64_t id, const std::string& why);
    std::optional<std::uint64_t> conn_of(std::int64_t sid) const;

    std::int64_t m_sid;
    std::map<std::int64_t, ElectionMember> m_voters;
    std::map<std::int64_t, TcpAddress> m_addresses;
    LogLine m_log;
    int m_listen = -1;
    std::map<std::uint64_t, Conn> m_conns;
    std::uint64_t m_next_id = 1;
    std::map<std::int64_t, std::uint64_t> m_by_sid;        // established connections
    std::map<std::int64_t, std::string> m_queue;           // a send queue of one per peer
    std::map<std::int64_t, std::string> m_last_sent;
    std::deque<std::pair<std::int64_t, std::string>> m_received;
    std::vector<std::uint64_t> m_polled;                   // conn ids in add_pollfds order
    std::int64_t m_now_ms = 0;
};

}  // namespace zabra::node::quorum
