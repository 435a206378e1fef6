// Server as a leader (doc/zab-leader.md): the quorum port, each learner's
// connection, quorum::LeaderQuorum's steps carried out (epoch files, each
// learner's sync planned by zab::plan_sync and logged, proposals through the
// group-committed log, commits applied in order), the learners' requests
// prepared here like local ones, session expiry (server_core.h).
#include "libformat/common/error.h"
#include "libformat/zab/jute.h"
#include "libformat/zab/sync_plan.h"
#include "libformat/zab/txn_codec.h"
#include "node/clock.h"
#include "node/overloaded.h"
#include "node/quorum/election_wire.h"
#include "node/quorum/snap_stream.h"
#include "node/server_core.h"
#include "node/tcp.h"

#include <fmt/format.h>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace zabra::node {

namespace {

// ZooKeeper's committedLog keeps at least this many txns for DIFF syncs.
constexpr std::size_t kCommitLogCount = 500;
// A learner that stops reading is dropped before its queue grows past this.
constexpr std::size_t kMaxLearnerQueue = 256u << 20;

}  // namespace

void Server::start_leading(const quorum::ElectionDecision& d) {
    m_role = PeerRole::Leading;
    const auto& me = m_c.servers.at(*m_c.my_id);
    m_quorum_listen = tcp_listen(resolve_tcp(me.host, me.quorum_port));
    quorum::LeaderStart s;
    s.sid = *m_c.my_id;
    for (const auto& [sid, srv] : m_c.servers) {
        if (!srv.observer) s.voters.insert(sid);
    }
    s.accepted_epoch = m_epochs.accepted;
    s.current_epoch = m_epochs.current;
    s.last_zxid = m_proc->last_zxid();
    s.members = quorum::config_text(m_c.servers);
    s.init_limit_ticks = m_c.init_limit;
    s.sync_limit_ticks = m_c.sync_limit;
    m_leader = std::make_unique<quorum::LeaderQuorum>(s);
    m_committed_log.clear();
    m_proposal_sizes = {};
    m_leading_since_ms = mono_ms();
    m_next_half_tick_ms = mono_ms() + std::max(1, m_c.tick_time_ms / 2);
    log(fmt::format("LEADING: waiting for a quorum of followers (round {}, last zxid {})", d.vote.election_epoch,
                    hexz(m_proc->last_zxid())));
    run_leader_steps(m_leader->start());
}

void Server::stop_leading() {
    for (auto& [id, l] : m_learner_conns) ::close(l.fd);
    m_learner_conns.clear();
    if (m_quorum_listen >= 0) ::close(m_quorum_listen);
    m_quorum_listen = -1;
    m_leader.reset();
    m_parked_syncs.clear();
}

void Server::leader_pollfds(std::vector<pollfd>& fds, std::vector<std::uint64_t>& conns) {
    if (m_quorum_listen < 0) return;
    fds.push_back({m_quorum_listen, POLLIN, 0});
    for (auto& [id, l] : m_learner_conns) {
        fds.push_back({l.fd, static_cast<short>(POLLIN | (l.out.empty() ? 0 : POLLOUT)), 0});
        conns.push_back(id);
    }
}

void Server::on_leader_poll(const std::vector<pollfd>& fds, std::size_t first, const std::vector<std::uint64_t>& conns,
                            std::int64_t now_ms) {
    if (!m_leader) return;
    if (first < fds.size() && (fds[first].revents & POLLIN)) {
        for (int fd; (fd = tcp_accept(m_quorum_listen)) >= 0;) m_learner_conns[m_next_learner++] = LearnerConn{fd, {}, {}};
    }
    for (std::size_t k = 0; k < conns.size() && m_leader; ++k) {
        const short rev = fds[first + 1 + k].revents;
        auto it = m_learner_conns.find(conns[k]);
        if (it == m_learner_conns.end()) continue;
        if (rev & (POLLIN | POLLHUP | POLLERR)) {
            char buf[65536];
            bool closed = false;
            for (;;) {
                const ssize_t n = ::recv(it->second.fd, buf, sizeof buf, 0);
                if (n > 0) {
                    it->second.in.append(buf, static_cast<std::size_t>(n));
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed = true;
                break;
            }
            for (;;) {
                std::size_t used = 0;
                std::optional<quorum::QuorumPacket> p;
                try {
                    p = quorum::next_quorum_packet(as_bytes(it->second.in), used, zab::kDefaultMaxBuffer);
                } catch (const FormatError& e) {
                    drop_learner(conns[k], fmt::format("bad packet: {}", e.what()));
                    break;
                }
                if (!p) break;
                it->second.in.erase(0, used);
                run_leader_steps(m_leader->receive(conns[k], *p));
                if (!m_leader || (it = m_learner_conns.find(conns[k])) == m_learner_conns.end()) break;
            }
            if (!m_leader) return;
            if (closed && m_learner_conns.count(conns[k])) drop_learner(conns[k], "");
        }
        it = m_learner_conns.find(conns[k]);
        if (it != m_learner_conns.end() && (rev & POLLOUT)) send_to_learner(conns[k], {});
    }
    if (!m_leader) return;
    run_leader_steps(m_leader->durable(m_durable.load()));
    if (m_leader && now_ms >= m_next_half_tick_ms) {
        m_next_half_tick_ms = now_ms + std::max(1, m_c.tick_time_ms / 2);
        run_leader_steps(m_leader->half_tick());
    }
}

void Server::send_to_learner(std::uint64_t conn, const std::string& bytes) {
    auto it = m_learner_conns.find(conn);
    if (it == m_learner_conns.end()) return;
    LearnerConn& l = it->second;
    l.out += bytes;
    while (!l.out.empty()) {
        const ssize_t n = ::send(l.fd, l.out.data(), l.out.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        l.out.erase(0, static_cast<std::size_t>(n));
    }
    if (l.out.size() > kMaxLearnerQueue) drop_learner(conn, "it does not read what it is sent");
}

void Server::drop_learner(std::uint64_t conn, const std::string& why) {
    auto it = m_learner_conns.find(conn);
    if (it == m_learner_conns.end()) return;
    if (!why.empty()) log(fmt::format("dropping a learner: {}", why));
    ::close(it->second.fd);
    m_learner_conns.erase(it);
    if (m_leader) m_leader->disconnected(conn);
}

void Server::run_leader_steps(std::vector<quorum::LeaderStep> steps) {
    namespace step = quorum::leader_step;
    for (quorum::LeaderStep& st : steps) {
        if (!m_leader) return;
        std::visit(Overloaded{
                       [&](step::Send& s) { send_to_learner(s.conn, quorum::encode_quorum_packet(s.packet)); },
                       [&](step::WriteAcceptedEpoch& s) { write_epoch(quorum::kAcceptedEpochFile, s.epoch); },
                       [&](step::WriteCurrentEpoch& s) { write_epoch(quorum::kCurrentEpochFile, s.epoch); },
                       [&](step::SyncLearner& s) { sync_learner(s); },
                       [&](step::Serve& s) {
                           m_proc->start_epoch(s.epoch);
                           m_serving = true;
                           m_vote.peer_epoch = s.epoch;  // ZOOKEEPER-1732
                           m_next_expiry_check = 0;
                           log(fmt::format("LEADING: epoch {}, a quorum synced ({}), serving", s.epoch,
                                           fmt::join(m_leader->synced_learners(), ", ")));
                       },
                       [&](step::Log& s) { submit_txn(s.txn); },
                       [&](step::Commit& s) { commit_through(s.zxid); },
                       [&](step::FromLearner& s) { on_learner_request(s.conn, s.packet); },
                       [&](step::DropLearner& s) {
                           log(fmt::format("dropping a learner: {}", s.reason));
                           auto it = m_learner_conns.find(s.conn);
                           if (it != m_learner_conns.end()) {
                               ::close(it->second.fd);
                               m_learner_conns.erase(it);
                           }
                       },
                       [&](step::StepDown& s) {
                           stop_leading();
                           leave_role(s.reason);
                       },
                   },
                   st);
    }
}

void Server::sync_learner(const quorum::leader_step::SyncLearner& s) {
    // LearnerHandler.syncFollower, decided by the function behind `zabra plan`.
    zab::LeaderState st;
    for (const zab::Txn& t : m_committed_log) st.committed.push_back(t.header.zxid);
    st.last_processed = m_proc->committed_zxid();
    st.txnlog_sync = false;  // zabra-node syncs from its committed log or sends a SNAP
    const zab::SyncPlan plan = zab::plan_sync(st, s.peer_zxid);
    log(fmt::format("sync of server {}: {} (peer {}, {} proposals{}{}), rule {}: {}", s.sid,
                    zab::sync_kind_name(plan.kind), hexz(s.peer_zxid), plan.proposals.size(),
                    plan.trunc_to ? ", TRUNC to " + hexz(*plan.trunc_to) : "",
                    plan.diff_zxid ? ", DIFF " + hexz(*plan.diff_zxid) : "", plan.rule, plan.reason));
    std::string out;
    switch (plan.kind) {
    case zab::SyncKind::Snap: {
        out += quorum::encode_quorum_packet({quorum::kSnap, st.last_processed, std::nullopt, std::nullopt});
        std::vector<std::pair<std::int64_t, std::int32_t>> sessions;
        for (const auto& [id, ss] : m_proc->sessions()) sessions.emplace_back(id, ss.timeout_ms);
        out += quorum::encode_snap_stream(*m_tree, sessions);
        break;
    }
    case zab::SyncKind::Trunc:
    case zab::SyncKind::TruncDiff:
        out += quorum::encode_quorum_packet({quorum::kTrunc, *plan.trunc_to, std::nullopt, std::nullopt});
        break;
    default: out += quorum::encode_quorum_packet({quorum::kDiff, *plan.diff_zxid, std::nullopt, std::nullopt});
    }
    for (const std::int64_t z : plan.proposals) {
        for (const zab::Txn& t : m_committed_log) {
            if (t.header.zxid != z) continue;
            out += quorum::encode_quorum_packet({quorum::kProposal, z, zab::encode_txn(t), std::nullopt});
            out += quorum::encode_quorum_packet({quorum::kCommit, z, std::nullopt, std::nullopt});
            break;
        }
    }
    send_to_learner(s.conn, out);
}

void Server::commit_through(std::int64_t zxid) {
    while (!m_pending.empty() && m_pending.front().txn.header.zxid <= zxid) {
        PendingTxn p = std::move(m_pending.front());
        m_pending.pop_front();
        if (!m_proc->commit(p.txn)) {
            log(fmt::format("digest mismatch at zxid {}: the tree does not reach the digest the txn was prepared with",
                            hexz(p.txn.header.zxid)));
        }
        send_events(m_watches.fire(p.txn));
        m_committed_log.push_back(p.txn);
        if (m_committed_log.size() > kCommitLogCount) m_committed_log.pop_front();
        if (auto parked = m_parked_syncs.find(p.txn.header.zxid); parked != m_parked_syncs.end()) {
            for (const std::uint64_t conn : parked->second) {
                send_to_learner(conn, quorum::encode_quorum_packet({quorum::kSync, 0, std::nullopt, std::nullopt}));
            }
            m_parked_syncs.erase(parked);
        }
        Conn* c = p.conn != 0 ? m_conns.find(p.conn) : nullptr;
        if (c == nullptr) continue;
        record_reply(*c, p.txn.header.zxid, p.arrived_ms);
        m_conns.send(*c, p.frame);
        if (p.close_after) c->close_after_flush = true;
    }
}

void Server::propose_or_log(const zab::Txn& t) {
    if (m_role == PeerRole::Leading && m_leader) {
        const auto size = static_cast<std::int64_t>(zab::encode_txn(t).size());  // Leader.propose's BufferStats
        m_proposal_sizes.last = size;
        m_proposal_sizes.min = m_proposal_sizes.min < 0 ? size : std::min(m_proposal_sizes.min, size);
        m_proposal_sizes.max = std::max(m_proposal_sizes.max, size);
        run_leader_steps(m_leader->propose(t));
    } else {
        submit_txn(t);
    }
}

void Server::on_learner_request(std::uint64_t conn, const quorum::QuorumPacket& p) {
    const std::int64_t now = wall_ms();
    if (p.type == quorum::kPing) {
        // The learner's sessions touched since the last PING: alive.
        ByteCursor cur(as_bytes(p.data.value_or(std::string())));
        while (cur.remaining() >= 12) {
            const auto id = static_cast<std::int64_t>(cur.be64());
            cur.be32();
            if (Session* s = m_proc->find_session(id)) m_proc->touch(*s, now);
        }
        return;
    }
    if (p.type == quorum::kRevalidate) {
        ByteCursor cur(as_bytes(p.data.value_or(std::string())));
        if (cur.remaining() < 8) return;
        const auto id = static_cast<std::int64_t>(cur.be64());
        Session* s = m_proc->find_session(id);
        const bool valid = s != nullptr && !s->closing;
        if (valid) m_proc->touch(*s, now);
        std::string data;
        zab::JuteWriter w(data);
        w.i64(id);
        data.push_back(valid ? 1 : 0);
        send_to_learner(conn, quorum::encode_quorum_packet({quorum::kRevalidate, -1, data, std::nullopt}));
        return;
    }
    if (p.type != quorum::kRequest || !p.data || p.data->size() < 16) return;
    const std::string& d = *p.data;
    ByteCursor cur(as_bytes(d));
    const auto session = static_cast<std::int64_t>(cur.be64());
    const auto cxid = static_cast<std::int32_t>(cur.be32());
    const auto type = static_cast<std::int32_t>(cur.be32());
    if (type == opcode::createSession) {
        const std::int32_t timeout = d.size() >= 20 ? static_cast<std::int32_t>(cur.be32()) : 0;
        deliver(m_proc->create_session_with_id(session, timeout, now), nullptr, mono_ms());
        return;
    }
    if (type == opcode::sync) {
        // Leader.processSync: at once with nothing outstanding, else after the last proposal commits.
        if (m_leader->outstanding() == 0) {
            send_to_learner(conn, quorum::encode_quorum_packet({quorum::kSync, 0, std::nullopt, std::nullopt}));
        } else {
            m_parked_syncs[m_leader->last_proposed()].push_back(conn);
        }
        return;
    }
    Request r;
    try {
        r = decode_request(as_bytes(d).subspan(8), kMaxPacket);  // cxid, type, body: a client request
    } catch (const std::exception& e) {
        log(fmt::format("a learner's request does not decode: {}", e.what()));
        return;
    }
    Session* s = m_proc->find_session(session);
    if (s == nullptr || s->closing) {
        deliver(m_proc->error_for(session, r, code::session_expired, now), nullptr, mono_ms());
        return;
    }
    // The follower's client authenticated there: its ids come with each request.
    if (p.authinfo) s->auth = *p.authinfo;
    m_proc->touch(*s, now);
    Outcome o = m_proc->process(*s, r, now);
    o.reply.reset();  // the follower answers its client
    deliver(o, nullptr, mono_ms());
    (void)cxid;
}

}  // namespace zabra::node
