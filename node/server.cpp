// Server: start-up (recovery, the sync thread, the first snapshot, the
// listener), the event loop, and shut-down (server_core.h). In an ensemble
// the same loop also carries the election port and the role's connection
// (ensemble.cpp, follower_role.cpp).
#include "node/server.h"

#include "node/clock.h"
#include "node/quorum/election_wire.h"
#include "node/server_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace zabra::node {

void Server::open_storage() {
    Recovered rec = recover({m_snap_dir, m_log_dir, m_c.force_recover}, m_o.log);
    use_tree(std::move(rec.tree), rec.last_zxid);
    // ZooKeeper takes a snapshot of what it loaded (snapshot.0 on a new server).
    if (rec.snapshot_zxid != rec.last_zxid) m_snapshots->start(rec.last_zxid);
}

void Server::use_tree(std::unique_ptr<zab::DataTree> tree, std::int64_t last_zxid) {
    m_tree = std::move(tree);
    if (m_c.ensemble) m_tree->set_config_node(quorum::config_text(m_c.servers), wall_ms());
    ProcessorOptions po;
    po.tick_ms = m_c.tick_time_ms;
    po.min_session_timeout_ms = m_c.min_session_timeout_ms;
    po.max_session_timeout_ms = m_c.max_session_timeout_ms;
    po.extended_types = m_c.extended_types;
    po.start_ms = wall_ms();
    if (m_c.ensemble) po.server_id = *m_c.my_id;
    m_proc = std::make_unique<Processor>(*m_tree, po);
    m_proc->set_last_zxid(last_zxid);
    m_proc->restore_sessions(wall_ms());
    m_durable = last_zxid;
    const int wake = m_wake;
    m_syncer = std::make_unique<TxnLogSyncer>(m_log_dir, static_cast<std::uint64_t>(m_c.prealloc_kb) * 1024,
                                              [this, wake](std::int64_t zxid) {
                                                  if (zxid >= 0) m_durable.store(zxid);
                                                  const std::uint64_t one = 1;
                                                  [[maybe_unused]] const auto n = ::write(wake, &one, sizeof one);
                                              });
}

void Server::reload_database() {
    // What is on disk is what this server holds: proposals it logged stay,
    // what was only in memory goes (as ZooKeeper's fastForwardDataBase).
    m_snapshots->drop_unfinished();
    m_syncer->stop();
    m_snapshots->stop();
    m_pending.clear();
    open_storage();
}

int Server::run() {
    m_started_ms = wall_ms();
    m_snap_dir = m_c.data_dir / "version-2";
    m_log_dir = m_c.data_log_dir / "version-2";
    m_snapshots = std::make_unique<SnapshotScheduler>(SnapshotSchedule{
        m_snap_dir, m_log_dir, m_c.snap_count, m_c.snap_size_limit_kb, m_c.snap_retain_count, m_o.log, &m_durable});
    m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // before any thread starts, so all inherit it
    m_signals = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    open_storage();
    m_conns.listen();
    // (Standalone, "serving on" is the line scripts wait for.)
    log(fmt::format("zabra-node {} on {}:{}, data in {}, last zxid 0x{:x}",
                    m_c.ensemble ? "listening (clients are served once synced with a leader)" : "serving",
                    m_c.client_port_address, m_c.client_port, m_snap_dir.string(), m_proc->last_zxid()));
    if (m_c.ensemble) start_ensemble();

    while (turn()) {
    }
    if (m_exit_code != 0) return m_exit_code;
    m_snapshots->drop_unfinished();  // the logs hold everything
    m_syncer->stop();
    if (m_role == PeerRole::Standalone) commit_durable();
    for (auto& [id, c] : m_conns.all()) m_conns.write(c);
    m_snapshots->stop();
    m_conns.close_all();
    log("stopped");
    return 0;
}

bool Server::turn() {
    std::vector<pollfd> fds;
    std::vector<std::uint64_t> ids;
    fds.push_back({m_conns.listen_fd(), POLLIN, 0});
    fds.push_back({m_wake, POLLIN, 0});
    fds.push_back({m_signals, POLLIN, 0});
    for (auto& [id, c] : m_conns.all()) {
        // A client that does not read its replies is not read from
        // either, so its output cannot grow without bound.
        short ev = c.close_after_flush || c.out.size() > kMaxUnsentBytes ? 0 : POLLIN;
        if (!c.out.empty()) ev |= POLLOUT;
        fds.push_back({c.fd, ev, 0});
        ids.push_back(id);
    }
    const std::size_t link_at = fds.size();
    if (m_role == PeerRole::Following) link_pollfd(fds);
    const bool has_link = fds.size() > link_at;
    const std::size_t learners_at = fds.size();
    std::vector<std::uint64_t> learner_ids;
    if (m_role == PeerRole::Leading) leader_pollfds(fds, learner_ids);
    if (m_election_net) m_election_net->add_pollfds(fds);  // last: it finds its own at the end
    std::int64_t timeout = m_snapshots->serialising() ? 0 : std::max(1, std::min(m_c.tick_time_ms / 2, 500));
    if (m_role == PeerRole::Leading) timeout = std::clamp<std::int64_t>(m_next_half_tick_ms - mono_ms(), 0, timeout);
    if (m_role == PeerRole::Looking && m_election->wake_at()) {
        timeout = std::clamp<std::int64_t>(*m_election->wake_at() - mono_ms(), 0, timeout);
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(timeout)) < 0 && errno != EINTR) {
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[2].revents & POLLIN) {
        signalfd_siginfo si{};
        [[maybe_unused]] const auto n = ::read(m_signals, &si, sizeof si);
        log(fmt::format("signal {}: shutting down", si.ssi_signo));
        return false;
    }
    if (fds[1].revents & POLLIN) {
        std::uint64_t v = 0;
        [[maybe_unused]] const auto n = ::read(m_wake, &v, sizeof v);
        if (auto f = m_syncer->failure()) {
            log(fmt::format("FATAL: the txn log cannot be written: {}; stopping", *f));
            m_exit_code = 3;
            return false;
        }
    }
    for (std::size_t i = 3; i < 3 + ids.size(); ++i) {
        Conn* c = m_conns.find(ids[i - 3]);
        if (c == nullptr) continue;
        if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            if (!(fds[i].revents & POLLIN)) {
                close_conn(c->id, "");
                continue;
            }
        }
        if (fds[i].revents & POLLIN) {
            m_conns.read(*c);
            process_frames(c->id);
        }
        if ((c = m_conns.find(ids[i - 3])) != nullptr && (fds[i].revents & POLLOUT)) {
            m_conns.write(*c);
            if (c->out.size() <= kMaxUnsentBytes && c->in.size() >= 4) process_frames(c->id);
        }
    }
    if (fds[0].revents & POLLIN) m_conns.accept_all();
    const std::int64_t now = mono_ms();
    if (m_role == PeerRole::Following) on_link_poll(has_link ? fds[link_at].revents : 0, now);
    if (m_role == PeerRole::Leading) on_leader_poll(fds, learners_at, learner_ids, now);
    if (m_election_net) {
        m_election_net->on_poll(fds, now);
        if (m_role == PeerRole::Looking) {
            m_election->pump(now);
            if (const auto& d = m_election->decided()) on_decided(*d);
        } else {
            m_election->answer(m_role == PeerRole::Leading ? quorum::PeerState::Leading : quorum::PeerState::Following,
                               m_vote);
        }
    }
    if (m_role == PeerRole::Standalone) commit_durable();
    if (m_role == PeerRole::Following && m_follower) run_follower_steps(m_follower->durable(m_durable.load()));
    m_snapshots->step(*m_tree, m_proc->committed_zxid(), [this] {
        std::vector<std::pair<std::int64_t, std::int32_t>> sessions;
        for (const auto& [id, s] : m_proc->sessions()) sessions.emplace_back(id, s.timeout_ms);
        return sessions;
    });
    drain_backlog();
    // In an ensemble only the leader expires sessions and containers.
    if (m_role == PeerRole::Standalone || (m_role == PeerRole::Leading && m_serving)) tick();
    for (const std::uint64_t id : m_conns.close_flushed()) m_watches.remove_watcher(id);
    return true;
}

int run_server(const ServerOptions& options) {
    Server s(options);
    return s.run();
}

}  // namespace zabra::node
