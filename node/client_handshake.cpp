// Server: a connection's frames as they come (a four-letter word first, else
// a ConnectRequest, then requests), and the handshake that binds a
// connection to a new or resumed session (server_core.h).
#include "node/clock.h"
#include "node/server_core.h"

#include <fmt/format.h>

namespace zabra::node {

// Handles the complete frames buffered for a connection, but stops while its
// unsent replies exceed kMaxUnsentBytes (resumed once they drain).
void Server::process_frames(std::uint64_t id) {
    while (Conn* c = m_conns.find(id)) {
        if (c->close_after_flush || c->out.size() > kMaxUnsentBytes) return;
        NextFrame f = m_conns.next(*c);
        switch (f.kind) {
        case NextFrame::None: return;
        case NextFrame::FourLetterWord:
            // ZooKeeper shows the asking connection in its own cons/stat, not
            // interested in reads.
            c->view.interest_ops = 0;
            m_conns.send(*c, four_letter_response(f.bytes, monitor_view(), m_c.four_letter_whitelist));
            c->close_after_flush = true;
            return;
        case NextFrame::TooLong:
            close_conn(id, fmt::format("packet length {} is out of range", f.length));
            return;
        case NextFrame::Frame: on_frame(*c, std::move(f.bytes)); break;
        }
    }
}

void Server::handle_connect(Conn& c, const std::string& payload, std::int64_t arrived_ms) {
    if (!m_serving) {
        // As ZooKeeper's "ZooKeeperServer not running": no session while looking for a leader or syncing.
        close_conn(c.id, "not serving: no leader yet");
        return;
    }
    ConnectRequest q;
    try {
        q = decode_connect_request(as_bytes(payload), kMaxPacket);
    } catch (const std::exception& e) {
        close_conn(c.id, fmt::format("bad connect request: {}", e.what()));
        return;
    }
    if (q.last_zxid_seen > m_proc->committed_zxid()) {
        close_conn(c.id, fmt::format("refusing session request: client has seen zxid 0x{:x}, our last zxid is 0x{:x}",
                                     q.last_zxid_seen, m_proc->committed_zxid()));
        return;
    }
    ConnectResponse rsp;
    rsp.read_only = q.read_only ? std::optional<bool>(false) : std::nullopt;
    c.handshake_done = true;
    if (q.session_id == 0 && m_role == PeerRole::Following) {
        // Sessions are global: the leader logs createSession, and the client
        // is answered once it comes back committed.
        const std::int64_t id = m_proc->next_session_id();
        rsp.timeout_ms = m_proc->negotiate_timeout(q.timeout_ms);
        rsp.session_id = id;
        rsp.password = session_password(id);
        c.session = id;
        c.view.session = id;
        c.view.timeout_ms = rsp.timeout_ms;
        forward_new_session(c, rsp.timeout_ms, rsp, arrived_ms);
        return;
    }
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
        m_pending.push_back({*o.txn, c.id, encode_connect_response(rsp), false, arrived_ms});
        propose_or_log(*o.txn);
        return;
    }
    // As ZooKeeper (reopenSession): the session's current connection is
    // dropped first, whatever the password turns out to be.
    for (auto& [id, other] : m_conns.all()) {
        if (id != c.id && other.session == q.session_id) {
            other.close_after_flush = true;
            other.out.clear();
        }
    }
    Session* s = m_proc->find_session(q.session_id);
    if (s == nullptr || s->closing || s->password != q.password) {
        // An expired or unknown session: timeout 0 tells the client.
        rsp.password.assign(16, '\0');
        m_conns.send(c, encode_connect_response(rsp));
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
    m_conns.send(c, encode_connect_response(rsp));
}

}  // namespace zabra::node
