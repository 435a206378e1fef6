// zabra-node's client port: the listening socket, accepted connections
// (maxClientCnxns per address), non-blocking reads and writes, and the
// port's framing. No request is understood here.
//
// Grammar of a client connection's bytes (doc/zookeeper-client-protocol.md):
//   connection := four-letter-word            (4 ASCII bytes as the very first bytes; the reply, then close)
//               | frame*
//   frame      := int32 length (<= kMaxPacket) ‖ payload[length]
#pragma once

#include "node/config.h"
#include "node/monitor.h"
#include "node/persistence.h"

#include <cstdint>
#include <map>
#include <string>

namespace zabra::node {

constexpr std::uint32_t kMaxPacket = 0xfffff + 1024;  // jute.maxbuffer plus headers
constexpr std::size_t kMaxUnsentBytes = 16u << 20;     // per connection, before it is read again

struct Conn {
    std::uint64_t id = 0;
    int fd = -1;
    std::string in;
    std::string out;
    bool handshake_done = false;
    bool four_letter_checked = false;
    bool close_after_flush = false;
    std::int64_t session = 0;
    std::string ip;
    ConnectionView view;
};

// What the bytes buffered on a connection hold next.
struct NextFrame {
    enum Kind { None, FourLetterWord, Frame, TooLong } kind = None;
    std::string bytes;        // the word, or the frame's payload
    std::uint32_t length = 0;  // TooLong: the length announced
};

class ClientConns {
public:
    ClientConns(const NodeConfig& config, LogLine log) : m_c(config), m_log(std::move(log)) {}
    ~ClientConns();
    ClientConns(const ClientConns&) = delete;
    ClientConns& operator=(const ClientConns&) = delete;

    // Binds clientPortAddress:clientPort; throws std::runtime_error with why not.
    void listen();
    int listen_fd() const { return m_listen; }
    void accept_all();

    Conn* find(std::uint64_t id);
    std::map<std::uint64_t, Conn>& all() { return m_conns; }
    const std::map<std::uint64_t, Conn>& all() const { return m_conns; }

    // Reads what is there (EOF or an error marks the connection for closing).
    void read(Conn& c);
    // Queues a frame and writes what the socket takes now.
    void send(Conn& c, const std::string& frame);
    void write(Conn& c);
    // Takes the next word or complete frame off `c.in`, counting it as received.
    NextFrame next(Conn& c);
    void close(std::uint64_t id, const std::string& why);
    // Closes the connections marked for closing whose output is flushed;
    // returns their ids.
    std::vector<std::uint64_t> close_flushed();
    void close_all();

    std::uint64_t received() const { return m_received; }
    std::uint64_t sent() const { return m_sent; }

private:
    const NodeConfig& m_c;
    LogLine m_log;
    int m_listen = -1;
    std::map<std::uint64_t, Conn> m_conns;
    std::uint64_t m_next_conn = 1;
    std::uint64_t m_received = 0, m_sent = 0;
};

}  // namespace zabra::node
