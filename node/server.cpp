// Server: start-up (recovery, the sync thread, the first snapshot, the
// listener), the event loop, and shut-down (server_core.h).
#include "node/server.h"

#include "node/clock.h"
#include "node/server_core.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace zabra::node {

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
    m_snapshots = std::make_unique<SnapshotScheduler>(SnapshotSchedule{
        m_snap_dir, m_log_dir, m_c.snap_count, m_c.snap_size_limit_kb, m_c.snap_retain_count, m_o.log, &m_durable});

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
    if (rec.snapshot_zxid != rec.last_zxid) m_snapshots->start(rec.last_zxid);
    m_conns.listen();
    log(fmt::format("zabra-node serving on {}:{}, data in {}, last zxid 0x{:x}", m_c.client_port_address,
                    m_c.client_port, m_snap_dir.string(), rec.last_zxid));

    bool stopping = false;
    std::vector<pollfd> fds;
    std::vector<std::uint64_t> ids;
    while (!stopping) {
        fds.clear();
        ids.clear();
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
        const int timeout = m_snapshots->serialising() ? 0 : std::max(1, std::min(m_c.tick_time_ms / 2, 500));
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
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
        commit_durable();
        m_snapshots->step(*m_tree, m_proc->committed_zxid(), [this] {
            std::vector<std::pair<std::int64_t, std::int32_t>> sessions;
            for (const auto& [id, s] : m_proc->sessions()) sessions.emplace_back(id, s.timeout_ms);
            return sessions;
        });
        drain_backlog();
        tick();
        for (const std::uint64_t id : m_conns.close_flushed()) m_watches.remove_watcher(id);
    }
    m_snapshots->drop_unfinished();  // the logs hold everything
    m_syncer->stop();
    commit_durable();
    for (auto& [id, c] : m_conns.all()) m_conns.write(c);
    m_snapshots->stop();
    m_conns.close_all();
    log("stopped");
    return 0;
}

int run_server(const ServerOptions& options) {
    Server s(options);
    return s.run();
}

}  // namespace zabra::node
