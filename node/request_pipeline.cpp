// Server: requests in arrival order across all connections, as ZooKeeper's
// pipeline keeps them. A write is prepared at once (the outstanding changes
// hold it), logged, and committed once durable: applied, its watches fired,
// its reply sent. A request that logs nothing waits until every earlier txn
// is committed, so no reply shows what is not on disk (server_core.h).
#include "node/clock.h"
#include "node/server_core.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::node {

namespace {

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

}  // namespace

void LatencyStats::add(std::int64_t ms) {
    sum_ms += static_cast<std::uint64_t>(ms);
    min_ms = count == 0 ? ms : std::min(min_ms, ms);
    max_ms = std::max(max_ms, ms);
    ++count;
}

bool Server::waits_for_disk(const Conn& c, const std::string& payload) const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(payload.data());
    if (!c.handshake_done) return !(payload.size() >= 24 && load_be64(p + 16) == 0);  // a new session logs a txn
    return payload.size() < 8 || !produces_txn(static_cast<std::int32_t>(load_be32(p + 4)));
}

bool Server::must_wait(const Conn& c, const std::string& payload) const {
    if (!m_backlog.empty()) return true;
    return (m_proc->has_uncommitted() || !m_forwarded.empty()) && waits_for_disk(c, payload);
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
        QueuedFrame& q = m_backlog.front();
        Conn* c = m_conns.find(q.conn);
        if (c == nullptr || c->close_after_flush) {
            m_backlog.pop_front();
            continue;
        }
        if ((m_proc->has_uncommitted() || !m_forwarded.empty()) && waits_for_disk(*c, q.payload)) return;
        QueuedFrame item = std::move(q);
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
    if (m_role == PeerRole::Following) {
        m_touched[s->id] = s->timeout_ms;  // told to the leader in the next PING answer
        if (produces_txn(r.type) || r.type == opcode::sync) {
            if (r.type == opcode::closeSession) s->closing = true;
            forward(c, r, payload, arrived_ms);
            return;
        }
    }
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
    deliver(o, &c, arrived_ms);
}

void Server::record_reply(Conn& c, std::int64_t zxid, std::int64_t arrived_ms) {
    const std::int64_t latency = mono_ms() - arrived_ms;
    c.view.last_latency_ms = latency;
    c.view.last_zxid = zxid;
    m_latency.add(latency);
}

void Server::send_events(const std::vector<WatchEvent>& events) {
    for (const WatchEvent& e : events) {
        if (Conn* c = m_conns.find(e.watcher)) m_conns.send(*c, encode_notification(e.type, kSyncConnected, e.path));
    }
}

void Server::deliver(const Outcome& o, Conn* c, std::int64_t arrived_ms) {
    if (o.txn) {
        // Waiting first: a leader's commit may come as soon as it proposes.
        if (!o.reply || c == nullptr) {
            m_pending.push_back({*o.txn, 0, {}, false, arrived_ms});
        } else {
            m_pending.push_back({*o.txn, c->id, encode_reply(*o.reply), o.close_connection, arrived_ms});
        }
        propose_or_log(*o.txn);
        return;
    }
    if (!o.reply || c == nullptr) return;
    const std::string frame = encode_reply(*o.reply);
    record_reply(*c, o.reply->zxid, arrived_ms);
    m_conns.send(*c, frame);
    if (o.close_connection) c->close_after_flush = true;
}

void Server::submit_txn(const zab::Txn& t) {
    m_syncer->submit(t);
    if (m_snapshots->txn_logged(t)) m_syncer->roll();
}

void Server::commit_durable() {
    const std::int64_t durable = m_durable.load();
    while (!m_pending.empty() && m_pending.front().txn.header.zxid <= durable) {
        PendingTxn p = std::move(m_pending.front());
        m_pending.pop_front();
        if (!m_proc->commit(p.txn)) {
            log(fmt::format("digest mismatch at zxid 0x{:x}: the tree does not reach the digest the txn was "
                            "prepared with", p.txn.header.zxid));
        }
        send_events(m_watches.fire(p.txn));
        Conn* c = p.conn != 0 ? m_conns.find(p.conn) : nullptr;
        if (c == nullptr) continue;
        record_reply(*c, p.txn.header.zxid, p.arrived_ms);
        m_conns.send(*c, p.frame);
        if (p.close_after) c->close_after_flush = true;
    }
}

// Sessions whose time is up are closed, and empty containers and expired
// TTL nodes deleted, by txns like any other.
void Server::tick() {
    const std::int64_t now = wall_ms();
    if (now >= m_next_expiry_check) {
        m_next_expiry_check = now + std::max(1, m_c.tick_time_ms / 2);
        for (const Outcome& o : m_proc->expire_sessions(now)) {
            const std::int64_t session = o.txn->header.client_id;
            log(fmt::format("expiring session 0x{:x}", session));
            deliver(o, nullptr, mono_ms());
            for (auto& [id, c] : m_conns.all()) {
                if (c.session == session) c.close_after_flush = true;
            }
        }
    }
    if (now >= m_next_container_check) {
        m_next_container_check = now + m_c.container_check_interval_ms;
        for (const Outcome& o : m_proc->expire_containers(now)) deliver(o, nullptr, mono_ms());
    }
}

void Server::close_conn(std::uint64_t id, const std::string& why) {
    m_watches.remove_watcher(id);
    m_conns.close(id, why);
}

}  // namespace zabra::node
