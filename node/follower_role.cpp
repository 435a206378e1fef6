// Server as a follower (doc/zab-follower.md): the connection to the
// leader's quorum port, the steps of quorum::FollowerSync carried out on the
// data dir and the tree in the order it gives them, client writes forwarded
// to the leader and answered when they come back committed (server_core.h).
#include "libformat/common/error.h"
#include "libformat/zab/jute.h"
#include "libformat/zab/rollback.h"
#include "node/clock.h"
#include "node/overloaded.h"
#include "node/quorum/election_wire.h"
#include "node/quorum/snap_stream.h"
#include "node/server_core.h"
#include "node/tcp.h"
#include "node/txn_reply.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sys/socket.h>
#include <unistd.h>

namespace zabra::node {

namespace fs = std::filesystem;

namespace {

constexpr int kConnectTries = 5;  // Learner.connectToLeader: 5 tries, 1 s apart
constexpr std::int64_t kConnectRetryMs = 1000;

}  // namespace

void Server::start_following(const quorum::ElectionDecision& d) {
    m_role = PeerRole::Following;
    m_follower = std::make_unique<quorum::FollowerSync>(
        quorum::FollowerStart{*m_c.my_id, m_epochs.accepted, m_epochs.current, m_proc->last_zxid()});
    m_link = LeaderLink{};
    m_link.last_heard_ms = mono_ms();
    m_link.retry_at_ms = 0;
    log(fmt::format("FOLLOWING leader {}: connecting to {}:{}", d.vote.leader, m_c.servers.at(d.vote.leader).host,
                    m_c.servers.at(d.vote.leader).quorum_port));
}

void Server::link_pollfd(std::vector<pollfd>& fds) {
    if (m_link.fd < 0) return;
    short ev = m_link.connecting ? POLLOUT : POLLIN;
    if (!m_link.out.empty()) ev |= POLLOUT;
    fds.push_back({m_link.fd, ev, 0});
}

void Server::send_to_leader(const quorum::QuorumPacket& p) {
    m_link.out += quorum::encode_quorum_packet(p);
    flush_link();
}

void Server::flush_link() {
    while (!m_link.out.empty() && !m_link.connecting && m_link.fd >= 0) {
        const ssize_t n = ::send(m_link.fd, m_link.out.data(), m_link.out.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        m_link.out.erase(0, static_cast<std::size_t>(n));
    }
}

void Server::on_link_poll(short revents, std::int64_t now_ms) {
    if (!m_follower) return;
    if (m_link.fd < 0) {
        if (now_ms < m_link.retry_at_ms) return;
        if (m_link.tries >= kConnectTries) return leave_role("cannot connect to the leader");
        ++m_link.tries;
        const auto& leader = m_c.servers.at(m_vote.leader);
        try {
            m_link.fd = tcp_connect(resolve_tcp(leader.host, leader.quorum_port));
            m_link.connecting = true;
        } catch (const std::exception& e) {
            log(fmt::format("connecting to the leader: {}", e.what()));
            m_link.retry_at_ms = now_ms + kConnectRetryMs;
        }
        return;
    }
    if (m_link.connecting) {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
        if (const int err = connect_error(m_link.fd); err != 0) {
            log(fmt::format("connecting to the leader: {}", std::strerror(err)));
            ::close(m_link.fd);
            m_link.fd = -1;
            m_link.retry_at_ms = now_ms + kConnectRetryMs;
            return;
        }
        m_link.connecting = false;
        m_link.last_heard_ms = now_ms;
        try {
            run_follower_steps(m_follower->start());
        } catch (const std::exception& e) {
            return leave_role(e.what());
        }
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        try {
            read_link();
        } catch (const quorum::FollowerError& e) {
            return leave_role(fmt::format("{}{}", e.what(), e.exit_code ? fmt::format(" (ZooKeeper exits {} here)", e.exit_code) : ""));
        } catch (const std::exception& e) {
            return leave_role(e.what());
        }
        if (!m_follower) return;  // left the role
    }
    if ((revents & POLLOUT) && !m_link.out.empty()) flush_link();
    // The leader must be heard from within initLimit ticks while syncing,
    // syncLimit ticks once synced (the learner's socket timeout).
    const int limit = m_follower->phase() == quorum::FollowerSync::Phase::kBroadcast ? m_c.sync_limit : m_c.init_limit;
    if (now_ms - m_link.last_heard_ms > static_cast<std::int64_t>(limit) * m_c.tick_time_ms) {
        leave_role(fmt::format("nothing from the leader for {} ms", now_ms - m_link.last_heard_ms));
    }
}

void Server::read_link() {
    char buf[65536];
    bool closed = false;
    for (;;) {
        const ssize_t n = ::recv(m_link.fd, buf, sizeof buf, 0);
        if (n > 0) {
            m_link.in.append(buf, static_cast<std::size_t>(n));
            m_link.last_heard_ms = mono_ms();
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed = true;
        break;
    }
    for (;;) {
        if (m_link.snap) {
            // The leader's tree: built once it is all here.
            zab::SnapshotVisitor complete;
            std::size_t used = 0;
            if (!quorum::read_snap_stream(as_bytes(m_link.in), complete, used, zab::kDefaultMaxBuffer)) break;
            zab::DataTreeBuilder builder;
            quorum::read_snap_stream(as_bytes(m_link.in), builder, used, zab::kDefaultMaxBuffer);
            m_link.received_tree = std::make_unique<zab::DataTree>(builder.finish(m_link.snap->zxid));
            m_link.in.erase(0, used);
            const quorum::QuorumPacket snap = *m_link.snap;
            m_link.snap.reset();
            run_follower_steps(m_follower->receive(snap));
            if (!m_follower) return;
            continue;
        }
        std::size_t used = 0;
        auto p = quorum::next_quorum_packet(as_bytes(m_link.in), used, zab::kDefaultMaxBuffer);
        if (!p) break;
        m_link.in.erase(0, used);
        if (p->type == quorum::kSnap && m_follower->phase() == quorum::FollowerSync::Phase::kAwaitSync) {
            m_link.snap = *p;
            continue;
        }
        run_follower_steps(m_follower->receive(*p));
        if (!m_follower) return;
    }
    if (closed) throw std::runtime_error("the leader closed the connection");
}

void Server::run_follower_steps(std::vector<quorum::FollowerStep> steps) {
    namespace step = quorum::follower_step;
    for (quorum::FollowerStep& st : steps) {
        std::visit(Overloaded{
                       [&](step::Send& s) { send_to_leader(s.packet); },
                       [&](step::WriteAcceptedEpoch& s) { write_epoch(quorum::kAcceptedEpochFile, s.epoch); },
                       [&](step::WriteCurrentEpoch& s) { write_epoch(quorum::kCurrentEpochFile, s.epoch); },
                       [&](step::Truncate& s) { truncate_to(s.zxid); },
                       [&](step::LoadSnapshot&) { take_received_tree(); },
                       [&](step::TakeSnapshot&) { write_full_snapshot(); },
                       [&](step::Log& s) {
                           for (const zab::Txn& t : s.txns) submit_txn(t);
                           if (s.sync && !s.txns.empty()) wait_durable(s.txns.back().header.zxid);
                       },
                       [&](step::Apply& s) { apply_from_leader(s.txn); },
                       [&](step::Serve& s) {
                           m_serving = true;
                           m_vote.peer_epoch = s.epoch;  // ZOOKEEPER-1732: joiners compare it
                           log(fmt::format("FOLLOWING leader {}: synced ({}), epoch {}, serving at zxid {}",
                                           m_vote.leader, quorum::packet_type_name(m_follower->sync_kind()),
                                           s.epoch, hexz(m_proc->committed_zxid())));
                       },
                       [&](step::FromLeader& s) {
                           if (s.packet.type == quorum::kPing) {
                               // Learner.ping: the sessions touched here since the last one
                               std::string data;
                               zab::JuteWriter w(data);
                               for (const auto& [id, timeout] : m_touched) {
                                   w.i64(id);
                                   w.i32(timeout);
                               }
                               m_touched.clear();
                               send_to_leader({quorum::kPing, s.packet.zxid, data, s.packet.authinfo});
                           } else if (s.packet.type == quorum::kSync && !m_forwarded.empty() &&
                                      m_forwarded.front().type == opcode::sync) {
                               ForwardedRequest f = std::move(m_forwarded.front());
                               m_forwarded.pop_front();
                               if (Conn* c = m_conns.find(f.conn)) {
                                   record_reply(*c, m_proc->committed_zxid(), f.arrived_ms);
                                   m_conns.send(*c, encode_reply(Reply{f.xid, m_proc->committed_zxid(), code::ok,
                                                                       f.sync_path}));
                               }
                           }
                       },
                   },
                   st);
        if (!m_follower) return;
    }
}

void Server::wait_durable(std::int64_t zxid) {
    const std::int64_t deadline = mono_ms() + 60000;
    while (m_durable.load() < zxid) {
        if (auto f = m_syncer->failure()) throw std::runtime_error("the txn log cannot be written: " + *f);
        if (mono_ms() > deadline) throw std::runtime_error(fmt::format("txn {} not durable within 60 s", hexz(zxid)));
        pollfd p{m_wake, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            std::uint64_t v = 0;
            [[maybe_unused]] const auto n = ::read(m_wake, &v, sizeof v);
        }
    }
}

void Server::apply_from_leader(const zab::Txn& t) {
    if (!m_proc->commit(t)) {
        log(fmt::format("digest mismatch at zxid {}: the leader's tree and ours differ", hexz(t.header.zxid)));
    }
    send_events(m_watches.fire(t));
    if (t.header.type == zab::op::createSession) {
        m_touched[t.header.client_id] = std::get<zab::CreateSessionTxn>(t.body).timeout;
    }
    if (m_forwarded.empty()) return;
    ForwardedRequest& f = m_forwarded.front();
    if (f.session != t.header.client_id || f.xid != t.header.cxid || f.type == opcode::sync) return;
    ForwardedRequest done = std::move(f);
    m_forwarded.pop_front();
    Conn* c = m_conns.find(done.conn);
    if (c == nullptr) return;
    if (done.connect) {
        if (Session* s = m_proc->find_session(done.session)) s->auth.push_back({"ip", c->ip});
        record_reply(*c, t.header.zxid, done.arrived_ms);
        m_conns.send(*c, encode_connect_response(*done.connect));
        return;
    }
    record_reply(*c, t.header.zxid, done.arrived_ms);
    m_conns.send(*c, encode_reply(reply_for_committed(t, done.type, done.xid, *m_tree)));
    if (done.type == opcode::closeSession) c->close_after_flush = true;
}

void Server::forward(Conn& c, const Request& r, const std::string& payload, std::int64_t arrived_ms) {
    // Learner.request: session, cxid, type, then the request as the client sent it.
    std::string data;
    zab::JuteWriter w(data);
    w.i64(c.session);
    w.i32(r.xid);
    w.i32(r.type);
    data += payload.substr(8);
    std::vector<AuthId> auth;
    if (const Session* s = m_proc->find_session(c.session)) auth = s->auth;
    send_to_leader({quorum::kRequest, -1, data, auth});
    ForwardedRequest f{c.id, c.session, r.xid, r.type, arrived_ms, std::nullopt, {}};
    if (const auto* p = std::get_if<PathRequest>(&r.body)) f.sync_path = p->path;
    m_forwarded.push_back(std::move(f));
}

void Server::forward_new_session(Conn& c, std::int32_t timeout_ms, ConnectResponse rsp, std::int64_t arrived_ms) {
    std::string data;
    zab::JuteWriter w(data);
    w.i64(rsp.session_id);
    w.i32(0);
    w.i32(opcode::createSession);
    w.i32(timeout_ms);
    send_to_leader({quorum::kRequest, -1, data, std::nullopt});
    m_forwarded.push_back({c.id, rsp.session_id, 0, opcode::createSession, arrived_ms, std::move(rsp), {}});
}

void Server::truncate_to(std::int64_t zxid) {
    // TRUNC goes through the code behind `zabra rollback`: the log cut after
    // zxid, later logs and snapshots moved aside into a backup dir.
    m_syncer->stop();
    const zab::RollbackPlan plan = zab::plan_rollback(zab::ServerDirs{m_c.data_dir, m_c.data_log_dir}, zxid);
    if (!plan.plan.steps.empty()) {
        const auto backup = apply_file_plan(plan.plan, m_c.data_dir);
        log(fmt::format("TRUNC to {}: {} txns moved to {}", hexz(zxid), plan.txns_removed, backup.string()));
    }
    reload_database();
}

void Server::take_received_tree() {
    // The leader's tree replaces ours. What the data dir held is moved aside
    // (nothing is deleted): its logs may run past the tree on another
    // history. Until the snapshot at NEWLEADER, a crash leaves an empty data
    // dir, which a leader brings up to date again.
    m_syncer->stop();
    FilePlan plan{"snap-sync", hexz(m_link.received_tree->last_processed_zxid()), {}};
    for (const fs::path& dir : {m_log_dir, m_snap_dir}) {
        if (!fs::exists(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string name = e.path().filename().string();
            if (name.starts_with("log.") || name.starts_with("snapshot.")) {
                plan.steps.push_back({FileStep::Kind::MoveAside, e.path(), 0, "replaced by the leader's SNAP"});
            }
        }
    }
    if (!plan.steps.empty()) {
        const auto backup = apply_file_plan(plan, m_c.data_dir);
        log(fmt::format("SNAP {}: {} files moved to {}", plan.target, plan.steps.size(), backup.string()));
    }
    m_snapshots->drop_unfinished();
    m_snapshots->stop();
    const std::int64_t zxid = m_link.received_tree->last_processed_zxid();
    use_tree(std::move(m_link.received_tree), zxid);  // /zookeeper/config: the local one, as ZooKeeper's SNAP load
}

void Server::write_full_snapshot() {
    // Learner.syncWithLeader at NEWLEADER after TRUNC or SNAP: the tree as
    // it is, durably, before currentEpoch says this history is ours.
    const std::int64_t zxid = m_tree->last_processed_zxid();
    FuzzySnapshot snap(zxid);
    snap.step(*m_tree, std::numeric_limits<std::size_t>::max());
    std::vector<std::pair<std::int64_t, std::int32_t>> sessions;
    for (const auto& [id, s] : m_proc->sessions()) sessions.emplace_back(id, s.timeout_ms);
    write_snapshot_file(m_snap_dir, m_log_dir, zxid, encode_fuzzy_snapshot(snap.finish(*m_tree, zxid, sessions)),
                        m_c.snap_retain_count, m_o.log);
    m_syncer->roll();
}

}  // namespace zabra::node
