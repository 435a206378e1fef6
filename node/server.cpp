#include "node/server.h"

#include "libformat/zab/data_dir.h"
#include "node/monitor.h"
#include "node/processor.h"
#include "node/watches.h"
#include "node/wire.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <future>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <random>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zabra::node {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kMaxPacket = 0xfffff + 1024;  // jute.maxbuffer plus headers
constexpr std::size_t kMaxUnsentBytes = 16u << 20;     // per connection, before it is read again

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t mono_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string errno_text() { return std::strerror(errno); }


// ServerCnxn's short names for `cons` (lop=).
std::string short_op(std::int32_t type) {
    switch (type) {
    case opcode::create:
    case opcode::create2:
    case opcode::createContainer:
    case opcode::createTTL: return "CREA";
    case opcode::delete_: return "DELE";
    case opcode::exists: return "EXIS";
    case opcode::getData: return "GETD";
    case opcode::setData: return "SETD";
    case opcode::getACL: return "GETA";
    case opcode::setACL: return "SETA";
    case opcode::getChildren: return "GETC";
    case opcode::getChildren2: return "GETC";
    case opcode::sync: return "SYNC";
    case opcode::ping: return "PING";
    case opcode::check: return "CHEC";
    case opcode::multi: return "MULT";
    case opcode::closeSession: return "CLOS";
    case opcode::setWatches: return "SETW";
    case opcode::auth: return "AUTH";
    default: return "NA";
    }
}

std::uint64_t dir_bytes(const fs::path& dir) {
    std::uint64_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_regular_file(ec)) n += e.file_size(ec);
    }
    return n;
}

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
    std::uint64_t latency_sum = 0;
};

// A frame waiting its turn (see the header comment).
struct Queued {
    std::uint64_t conn = 0;
    std::string payload;
    std::int64_t arrived_ms = 0;
};

// A reply released once its txn is durable.
struct PendingReply {
    std::int64_t zxid = 0;
    std::uint64_t conn = 0;
    std::string frame;
    bool close_after = false;
    std::int64_t arrived_ms = 0;
    std::int64_t cxid = 0;
    std::vector<WatchEvent> events;  // sent first, to their connections
};

class Server {
public:
    explicit Server(const ServerOptions& o) : m_o(o), m_c(o.config) {}

    int run();

private:
    void log(const std::string& s) { m_o.log(s); }
    void open_listener();
    void accept_all();
    void read_conn(Conn& c);
    void process_frames(std::uint64_t id);
    void write_conn(Conn& c);
    void close_conn(std::uint64_t id, const std::string& why);
    void on_frame(Conn& c, std::string payload);
    // Whether a frame creates no txn, so must not run while earlier txns are
    // still on their way to disk.
    bool waits_for_disk(const Conn& c, const std::string& payload) const;
    bool must_wait(const Conn& c, const std::string& payload) const;
    void record_reply(Conn& c, std::int64_t zxid, std::int64_t arrived_ms);
    void handle(Conn& c, const std::string& payload, std::int64_t arrived_ms);
    void handle_connect(Conn& c, const std::string& payload, std::int64_t arrived_ms);
    void deliver(const Outcome& o, Conn* c, std::int64_t arrived_ms, const std::string& op);
    void submit_txn(const zab::Txn& t);
    void release_durable();
    void drain_backlog();
    void tick();
    void start_snapshot(std::int64_t zxid);
    void maybe_snapshot();
    void send(Conn& c, const std::string& frame);
    void send_events(const std::vector<WatchEvent>& events);
    MonitorView monitor_view() const;
    Conn* conn(std::uint64_t id) {
        auto it = m_conns.find(id);
        return it == m_conns.end() ? nullptr : &it->second;
    }

    const ServerOptions& m_o;
    const NodeConfig& m_c;
    fs::path m_snap_dir, m_log_dir;
    std::unique_ptr<zab::DataTree> m_tree;
    std::unique_ptr<Processor> m_proc;
    std::unique_ptr<TxnLogSyncer> m_syncer;
    int m_listen = -1, m_wake = -1, m_signals = -1;
    std::atomic<std::int64_t> m_durable{0};
    std::map<std::uint64_t, Conn> m_conns;
    std::uint64_t m_next_conn = 1;
    std::deque<Queued> m_backlog;
    std::deque<PendingReply> m_pending;
    WatchManager m_watches;
    // snapshots: SyncRequestProcessor's jittered trigger
    std::mt19937_64 m_rng{std::random_device{}()};
    std::int64_t m_txns_since_snapshot = 0;
    std::int64_t m_bytes_since_snapshot = 0;
    std::int64_t m_rand_roll = 0;
    std::int64_t m_rand_size = 0;
    std::optional<FuzzySnapshot> m_snapshot;  // being serialised, a slice per loop turn
    std::future<void> m_snapshot_job;
    std::int64_t m_last_snapshot_zxid = -1;
    // stats
    std::int64_t m_started_ms = 0;
    std::uint64_t m_received = 0, m_sent = 0;
    std::int64_t m_min_latency = 0, m_max_latency = 0;
    std::uint64_t m_latency_sum = 0, m_latency_count = 0;
    std::int64_t m_next_expiry_check = 0;
    std::int64_t m_next_container_check = 0;
};

void Server::open_listener() {
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

void Server::accept_all() {
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
            log(fmt::format("too many connections from {} - max is {}", ip, m_c.max_client_cnxns));
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

void Server::close_conn(std::uint64_t id, const std::string& why) {
    auto it = m_conns.find(id);
    if (it == m_conns.end()) return;
    if (!why.empty()) log(fmt::format("closed connection {} ({})", it->second.view.remote, why));
    m_watches.remove_watcher(id);
    ::close(it->second.fd);
    m_conns.erase(it);
}

void Server::send(Conn& c, const std::string& frame) {
    c.out += frame;
    ++c.view.sent;
    ++m_sent;
    write_conn(c);
}

void Server::write_conn(Conn& c) {
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

void Server::read_conn(Conn& c) {
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0) {
            c.close_after_flush = true;
            c.out.clear();
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            c.close_after_flush = true;
            c.out.clear();
            return;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
        if (n < static_cast<ssize_t>(sizeof buf)) break;
    }
    process_frames(c.id);
}

// Handles the complete frames buffered for a connection, but stops while its
// unsent replies exceed kMaxUnsentBytes (resumed once they drain).
void Server::process_frames(std::uint64_t id) {
    while (Conn* cc = conn(id)) {
        if (cc->close_after_flush) return;
        if (cc->in.size() < 4 || cc->out.size() > kMaxUnsentBytes) return;
        if (!cc->four_letter_checked) {
            cc->four_letter_checked = true;
            const std::string word = cc->in.substr(0, 4);
            if (is_four_letter_word(word)) {
                // ZooKeeper counts the word as a received packet and shows the
                // asking connection in its own cons/stat, not interested in reads.
                ++cc->view.received;
                ++m_received;
                cc->view.interest_ops = 0;
                send(*cc, four_letter_response(word, monitor_view(), m_c.four_letter_whitelist));
                cc->close_after_flush = true;
                cc->in.clear();
                return;
            }
        }
        const std::uint32_t len = load_be32(reinterpret_cast<const std::uint8_t*>(cc->in.data()));
        if (len > kMaxPacket) {
            close_conn(id, fmt::format("packet length {} is out of range", len));
            return;
        }
        if (cc->in.size() < 4 + static_cast<std::size_t>(len)) return;
        std::string payload = cc->in.substr(4, len);
        cc->in.erase(0, 4 + static_cast<std::size_t>(len));
        ++cc->view.received;
        ++m_received;
        on_frame(*cc, std::move(payload));
    }
}

// A request that produces no txn (a read, a ping, ...) must not run while
// earlier txns are still on their way to disk.
bool Server::waits_for_disk(const Conn& c, const std::string& payload) const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(payload.data());
    if (!c.handshake_done) return !(payload.size() >= 24 && load_be64(p + 16) == 0);  // a new session logs a txn
    return payload.size() < 8 || !produces_txn(static_cast<std::int32_t>(load_be32(p + 4)));
}

bool Server::must_wait(const Conn& c, const std::string& payload) const {
    if (!m_backlog.empty()) return true;
    return m_durable.load() < m_proc->last_zxid() && waits_for_disk(c, payload);
}

void Server::on_frame(Conn& c, std::string payload) {
    const std::int64_t now = mono_ms();
    if (must_wait(c, payload)) {
        m_backlog.push_back({c.id, std::move(payload), now});
        return;
    }
    handle(c, payload, now);
}

void Server::drain_backlog() {
    while (!m_backlog.empty()) {
        Queued& q = m_backlog.front();
        Conn* c = conn(q.conn);
        if (c == nullptr || c->close_after_flush) {
            m_backlog.pop_front();
            continue;
        }
        if (m_durable.load() < m_proc->last_zxid() && waits_for_disk(*c, q.payload)) return;
        Queued item = std::move(q);
        m_backlog.pop_front();
        handle(*c, item.payload, item.arrived_ms);
    }
}

void Server::handle(Conn& c, const std::string& payload, std::int64_t arrived_ms) {
    if (!c.handshake_done) return handle_connect(c, payload, arrived_ms);
    Request r;
    try {
        r = decode_request(as_bytes(payload), kMaxPacket);
    } catch (const std::exception& e) {
        close_conn(c.id, fmt::format("bad request: {}", e.what()));
        return;
    }
    Session* s = m_proc->find_session(c.session);
    if (s == nullptr || s->closing) {
        close_conn(c.id, "session is gone");
        return;
    }
    m_proc->touch(*s, wall_ms());
    c.view.last_cxid = r.xid;
    c.view.last_op = short_op(r.type);
    Outcome o;
    try {
        o = m_proc->process(*s, r, wall_ms());
    } catch (const std::exception& e) {
        // A request the processor cannot handle costs its connection, never the server.
        close_conn(c.id, fmt::format("request {} failed: {}", short_op(r.type), e.what()));
        return;
    }
    if (const auto* q = std::get_if<PathWatchRequest>(&r.body); q && q->watch && o.reply) {
        // exists watches even an absent node; getData and getChildren only one that is there.
        const std::int32_t err = o.reply->err;
        if (r.type == opcode::exists && (err == code::ok || err == code::no_node)) {
            m_watches.add_data_watch(q->path, c.id);
        } else if (r.type == opcode::getData && err == code::ok) {
            m_watches.add_data_watch(q->path, c.id);
        } else if ((r.type == opcode::getChildren || r.type == opcode::getChildren2) && err == code::ok) {
            m_watches.add_child_watch(q->path, c.id);
        }
    }
    if (const auto* w = std::get_if<SetWatches>(&r.body)) {
        send_events(m_watches.reset(*m_tree, w->relative_zxid, w->data, w->exist, w->child, c.id));
    }
    deliver(o, &c, arrived_ms, short_op(r.type));
}

void Server::record_reply(Conn& c, std::int64_t zxid, std::int64_t arrived_ms) {
    const std::int64_t latency = mono_ms() - arrived_ms;
    c.view.last_latency_ms = latency;
    c.view.last_zxid = zxid;
    m_latency_sum += static_cast<std::uint64_t>(latency);
    m_min_latency = m_latency_count == 0 ? latency : std::min(m_min_latency, latency);
    m_max_latency = std::max(m_max_latency, latency);
    ++m_latency_count;
}

void Server::send_events(const std::vector<WatchEvent>& events) {
    for (const WatchEvent& e : events) {
        if (Conn* c = conn(e.watcher)) send(*c, encode_notification(e.type, kSyncConnected, e.path));
    }
}

void Server::deliver(const Outcome& o, Conn* c, std::int64_t arrived_ms, const std::string&) {
    if (o.txn) {
        submit_txn(*o.txn);
        std::vector<WatchEvent> events = m_watches.fire(*o.txn);
        if (!o.reply || c == nullptr) {
            if (!events.empty()) m_pending.push_back({o.txn->header.zxid, 0, {}, false, arrived_ms, 0, std::move(events)});
            return;
        }
        m_pending.push_back({o.txn->header.zxid, c->id, encode_reply(*o.reply), o.close_connection, arrived_ms,
                             o.reply->xid, std::move(events)});
        return;
    }
    if (!o.reply || c == nullptr) return;
    const std::string frame = encode_reply(*o.reply);
    record_reply(*c, o.reply->zxid, arrived_ms);
    send(*c, frame);
    if (o.close_connection) c->close_after_flush = true;
}

void Server::handle_connect(Conn& c, const std::string& payload, std::int64_t arrived_ms) {
    ConnectRequest q;
    try {
        q = decode_connect_request(as_bytes(payload), kMaxPacket);
    } catch (const std::exception& e) {
        close_conn(c.id, fmt::format("bad connect request: {}", e.what()));
        return;
    }
    if (q.last_zxid_seen > m_proc->last_zxid()) {
        close_conn(c.id, fmt::format("refusing session request: client has seen zxid 0x{:x}, our last zxid is 0x{:x}",
                                     q.last_zxid_seen, m_proc->last_zxid()));
        return;
    }
    ConnectResponse rsp;
    rsp.read_only = q.read_only ? std::optional<bool>(false) : std::nullopt;
    c.handshake_done = true;
    if (q.session_id == 0) {
        Session* s = nullptr;
        const Outcome o = m_proc->create_session(q.timeout_ms, wall_ms(), s);
        c.session = s->id;
        s->auth.push_back({"ip", c.ip});  // every connection is authenticated by address
        rsp.timeout_ms = s->timeout_ms;
        rsp.session_id = s->id;
        rsp.password = s->password;
        c.view.session = s->id;
        c.view.timeout_ms = s->timeout_ms;
        submit_txn(*o.txn);
        m_pending.push_back({o.txn->header.zxid, c.id, encode_connect_response(rsp), false, arrived_ms, 0, {}});
        return;
    }
    // As ZooKeeper (reopenSession): the session's current connection is
    // dropped first, whatever the password turns out to be.
    for (auto& [id, other] : m_conns) {
        if (id != c.id && other.session == q.session_id) {
            other.close_after_flush = true;
            other.out.clear();
        }
    }
    Session* s = m_proc->find_session(q.session_id);
    if (s == nullptr || s->closing || s->password != q.password) {
        // An expired or unknown session: timeout 0 tells the client.
        rsp.password.assign(16, '\0');
        send(c, encode_connect_response(rsp));
        c.close_after_flush = true;
        log(fmt::format("invalid session 0x{:x} for client {}, probably expired", q.session_id, c.view.remote));
        return;
    }
    s->timeout_ms = m_proc->negotiate_timeout(q.timeout_ms);
    m_proc->touch(*s, wall_ms());
    c.session = s->id;
    c.view.session = s->id;
    c.view.timeout_ms = s->timeout_ms;
    rsp.timeout_ms = s->timeout_ms;
    rsp.session_id = s->id;
    rsp.password = s->password;
    send(c, encode_connect_response(rsp));
}

void Server::submit_txn(const zab::Txn& t) {
    m_syncer->submit(t);
    ++m_txns_since_snapshot;
    m_bytes_since_snapshot += 60;  // a rough record size: only the count matters by default
    const std::int64_t limit_bytes = m_c.snap_size_limit_kb > 0 ? m_c.snap_size_limit_kb * 1024 : 0;
    if (m_txns_since_snapshot > m_c.snap_count / 2 + m_rand_roll ||
        (limit_bytes > 0 && m_bytes_since_snapshot > limit_bytes / 2 + m_rand_size)) {
        // SyncRequestProcessor: roll the log now, snapshot, draw new jitter.
        // The tree holds this txn already: the snapshot is named after it.
        start_snapshot(t.header.zxid);
        m_syncer->roll();
        m_txns_since_snapshot = 0;
        m_bytes_since_snapshot = 0;
        m_rand_roll = static_cast<std::int64_t>(m_rng() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, m_c.snap_count / 2)));
        m_rand_size = limit_bytes > 0 ? static_cast<std::int64_t>(m_rng() % static_cast<std::uint64_t>(limit_bytes / 2)) : 0;
    }
}

void Server::release_durable() {
    const std::int64_t durable = m_durable.load();
    while (!m_pending.empty() && m_pending.front().zxid <= durable) {
        PendingReply p = std::move(m_pending.front());
        m_pending.pop_front();
        send_events(p.events);
        Conn* c = conn(p.conn);
        if (c == nullptr) continue;
        record_reply(*c, p.zxid, p.arrived_ms);
        send(*c, p.frame);
        if (p.close_after) c->close_after_flush = true;
    }
}

void Server::start_snapshot(std::int64_t zxid) {
    const bool writing =
        m_snapshot_job.valid() && m_snapshot_job.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
    if (m_snapshot || writing) {
        log("too busy to snap, skipping");  // as ZooKeeper: the next trigger tries again
        return;
    }
    if (m_snapshot_job.valid()) m_snapshot_job.get();
    m_snapshot.emplace(zxid);
}

// A snapshot is serialised a slice per loop turn (no request waits for the
// whole tree), then encoded and written by a background thread.
void Server::maybe_snapshot() {
    if (!m_snapshot || !m_snapshot->step(*m_tree, 4096)) return;
    std::vector<std::pair<std::int64_t, std::int32_t>> sessions;
    for (const auto& [id, s] : m_proc->sessions()) sessions.emplace_back(id, s.timeout_ms);
    auto parts = std::make_shared<FuzzySnapshot::Parts>(m_snapshot->finish(*m_tree, m_proc->last_zxid(), sessions));
    const std::int64_t zxid = m_snapshot->zxid();
    m_snapshot.reset();
    m_last_snapshot_zxid = zxid;
    const fs::path snap_dir = m_snap_dir, log_dir = m_log_dir;
    const int retain = m_c.snap_retain_count;
    const LogLine logger = m_o.log;
    std::atomic<std::int64_t>* durable = &m_durable;
    m_snapshot_job = std::async(std::launch::async, [=] {
        try {
            const std::int64_t end = parts->end_zxid;
            const std::string bytes = encode_fuzzy_snapshot(std::move(*parts));
            write_snapshot_file(snap_dir, log_dir, zxid, bytes, retain, logger,
                                [durable, end] { return durable->load() >= end; });
        } catch (const std::exception& e) {
            logger(fmt::format("snapshot 0x{:x} failed: {}", zxid, e.what()));
        }
    });
}

void Server::tick() {
    const std::int64_t now = wall_ms();
    if (now >= m_next_expiry_check) {
        m_next_expiry_check = now + std::max(1, m_c.tick_time_ms / 2);
        for (const Outcome& o : m_proc->expire_sessions(now)) {
            const std::int64_t session = o.txn->header.client_id;
            log(fmt::format("expiring session 0x{:x}", session));
            deliver(o, nullptr, mono_ms(), "");
            for (auto& [id, c] : m_conns) {
                if (c.session == session) c.close_after_flush = true;
            }
        }
    }
    if (now >= m_next_container_check) {
        m_next_container_check = now + m_c.container_check_interval_ms;
        for (const Outcome& o : m_proc->expire_containers(now)) deliver(o, nullptr, mono_ms(), "");
    }
}

MonitorView Server::monitor_view() const {
    MonitorView v;
    v.version = m_o.version;
    v.zxid = m_proc->last_zxid();
    v.min_latency_ms = m_min_latency;
    v.max_latency_ms = m_max_latency;
    v.avg_latency_ms = m_latency_count ? static_cast<double>(m_latency_sum) / static_cast<double>(m_latency_count) : 0;
    v.packets_received = m_received;
    v.packets_sent = m_sent;
    v.outstanding_requests = m_backlog.size() + m_pending.size();
    v.node_count = m_tree->nodes().size() + 1;
    v.watch_count = m_watches.watch_count();
    v.data_watch_count = m_watches.data_watch_count();
    v.watched_paths = m_watches.watched_paths();
    v.watching_connections = m_watches.watching_connections();  // ZooKeeper's node table holds the root twice ("" and "/")
    std::uint64_t data_size = 0, ephemerals = 0;
    for (const auto& [path, n] : m_tree->nodes()) {
        data_size += path.size() + (n.data ? n.data->size() : 0);
        ephemerals += n.stat.ephemeral_owner > 0 ? 1 : 0;  // containers and TTL nodes have negative owners
    }
    v.approximate_data_size = data_size + 1;  // the "/" alias of the root
    v.ephemerals_count = ephemerals;
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    v.max_file_descriptor_count = lim.rlim_cur;
    std::error_code ec;
    std::uint64_t fds = 0;
    for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::directory_iterator(); ++it) ++fds;
    v.open_file_descriptor_count = fds;
    v.global_sessions = m_proc->sessions().size();
    v.uptime_ms = wall_ms() - m_started_ms;
    const SyncStats st = m_syncer->stats();
    v.fsync_count = st.fsyncs;
    v.fsync_sum_ms = st.fsync_sum_us / 1000;
    v.fsync_min_ms = static_cast<std::int64_t>(st.fsync_min_us / 1000);
    v.fsync_max_ms = static_cast<std::int64_t>(st.fsync_max_us / 1000);
    v.fsync_avg_ms = st.fsyncs ? static_cast<double>(st.fsync_sum_us) / 1000.0 / static_cast<double>(st.fsyncs) : 0;
    v.last_snapshot_zxid = static_cast<std::uint64_t>(std::max<std::int64_t>(0, m_last_snapshot_zxid));
    v.datadir_size = dir_bytes(m_snap_dir);
    v.logdir_size = dir_bytes(m_log_dir);
    v.conf = {{"clientPort", std::to_string(m_c.client_port)},
              {"secureClientPort", "-1"},
              {"dataDir", m_snap_dir.string()},
              {"dataDirSize", std::to_string(v.datadir_size)},
              {"dataLogDir", m_log_dir.string()},
              {"dataLogSize", std::to_string(v.logdir_size)},
              {"tickTime", std::to_string(m_c.tick_time_ms)},
              {"maxClientCnxns", std::to_string(m_c.max_client_cnxns)},
              {"minSessionTimeout", std::to_string(m_proc->negotiate_timeout(0))},
              {"maxSessionTimeout", std::to_string(m_proc->negotiate_timeout(INT32_MAX))},
              {"clientPortListenBacklog", "-1"},
              {"serverId", "0"}};
    for (const auto& [id, c] : m_conns) {
        ConnectionView cv = c.view;
        cv.queued = 0;
        v.connections.push_back(std::move(cv));
    }
    return v;
}

int Server::run() {
    m_started_ms = wall_ms();
    m_snap_dir = m_c.data_dir / "version-2";
    m_log_dir = m_c.data_log_dir / "version-2";
    Recovered rec = recover({m_snap_dir, m_log_dir, m_c.force_recover}, m_o.log);
    m_tree = std::move(rec.tree);
    ProcessorOptions po;
    po.tick_ms = m_c.tick_time_ms;
    po.min_session_timeout_ms = m_c.min_session_timeout_ms;
    po.max_session_timeout_ms = m_c.max_session_timeout_ms;
    po.extended_types = m_c.extended_types;
    po.start_ms = wall_ms();
    m_proc = std::make_unique<Processor>(*m_tree, po);
    m_proc->set_last_zxid(rec.last_zxid);
    m_proc->restore_sessions(wall_ms());
    m_durable = rec.last_zxid;
    m_rand_roll = static_cast<std::int64_t>(m_rng() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, m_c.snap_count / 2)));

    m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // before any thread starts, so all inherit it
    m_signals = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    const int wake = m_wake;
    m_syncer = std::make_unique<TxnLogSyncer>(m_log_dir, static_cast<std::uint64_t>(m_c.prealloc_kb) * 1024,
                                              [this, wake](std::int64_t zxid) {
                                                  if (zxid >= 0) m_durable.store(zxid);
                                                  const std::uint64_t one = 1;
                                                  [[maybe_unused]] const auto n = ::write(wake, &one, sizeof one);
                                              });
    // ZooKeeper takes a snapshot of what it loaded (snapshot.0 on a new server).
    if (rec.snapshot_zxid != rec.last_zxid) start_snapshot(rec.last_zxid);
    open_listener();
    log(fmt::format("zabra-node serving on {}:{}, data in {}, last zxid 0x{:x}", m_c.client_port_address,
                    m_c.client_port, m_snap_dir.string(), rec.last_zxid));

    bool stopping = false;
    std::vector<pollfd> fds;
    std::vector<std::uint64_t> ids;
    while (!stopping) {
        fds.clear();
        ids.clear();
        fds.push_back({m_listen, POLLIN, 0});
        fds.push_back({m_wake, POLLIN, 0});
        fds.push_back({m_signals, POLLIN, 0});
        for (auto& [id, c] : m_conns) {
            // A client that does not read its replies is not read from
            // either, so its output cannot grow without bound.
            short ev = c.close_after_flush || c.out.size() > kMaxUnsentBytes ? 0 : POLLIN;
            if (!c.out.empty()) ev |= POLLOUT;
            fds.push_back({c.fd, ev, 0});
            ids.push_back(id);
        }
        const int timeout = m_snapshot ? 0 : std::max(1, std::min(m_c.tick_time_ms / 2, 500));
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            throw std::runtime_error("poll: " + errno_text());
        }
        if (fds[2].revents & POLLIN) {
            signalfd_siginfo si{};
            [[maybe_unused]] const auto n = ::read(m_signals, &si, sizeof si);
            log(fmt::format("signal {}: shutting down", si.ssi_signo));
            stopping = true;
        }
        if (fds[1].revents & POLLIN) {
            std::uint64_t v = 0;
            [[maybe_unused]] const auto n = ::read(m_wake, &v, sizeof v);
            if (auto f = m_syncer->failure()) {
                log(fmt::format("FATAL: the txn log cannot be written: {}; stopping", *f));
                return 3;
            }
        }
        for (std::size_t i = 3; i < fds.size(); ++i) {
            Conn* c = conn(ids[i - 3]);
            if (c == nullptr) continue;
            if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                if (!(fds[i].revents & POLLIN)) {
                    close_conn(c->id, "");
                    continue;
                }
            }
            if (fds[i].revents & POLLIN) read_conn(*c);
            if ((c = conn(ids[i - 3])) != nullptr && (fds[i].revents & POLLOUT)) {
                write_conn(*c);
                if (c->out.size() <= kMaxUnsentBytes && c->in.size() >= 4) process_frames(c->id);
            }
        }
        if (fds[0].revents & POLLIN) accept_all();
        release_durable();
        maybe_snapshot();
        drain_backlog();
        tick();
        std::vector<std::uint64_t> done;
        for (auto& [id, c] : m_conns) {
            if (c.close_after_flush && c.out.empty()) done.push_back(id);
        }
        for (auto id : done) close_conn(id, "");
    }
    m_snapshot.reset();  // an unfinished snapshot is dropped; the logs hold everything
    m_syncer->stop();
    release_durable();
    for (auto& [id, c] : m_conns) write_conn(c);
    if (m_snapshot_job.valid()) m_snapshot_job.get();
    for (auto& [id, c] : m_conns) ::close(c.fd);
    m_conns.clear();
    ::close(m_listen);
    log("stopped");
    return 0;
}

}  // namespace

int run_server(const ServerOptions& options) {
    Server s(options);
    return s.run();
}

}  // namespace zabra::node
