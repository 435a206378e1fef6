// Server: what srvr, stat, cons, conf and mntr show (server_core.h;
// formatting in monitor.cpp).
#include "node/clock.h"
#include "node/server_core.h"

#include <algorithm>
#include <climits>
#include <sys/resource.h>

namespace zabra::node {

namespace fs = std::filesystem;

namespace {

std::uint64_t dir_bytes(const fs::path& dir) {
    std::uint64_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_regular_file(ec)) n += e.file_size(ec);
    }
    return n;
}

std::uint64_t open_fds() {
    std::error_code ec;
    std::uint64_t fds = 0;
    for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::directory_iterator(); ++it) ++fds;
    return fds;
}

}  // namespace

MonitorView Server::monitor_view() const {
    MonitorView v;
    v.version = m_o.version;
    v.zxid = m_proc->committed_zxid();
    v.min_latency_ms = m_latency.min_ms;
    v.max_latency_ms = m_latency.max_ms;
    v.avg_latency_ms =
        m_latency.count ? static_cast<double>(m_latency.sum_ms) / static_cast<double>(m_latency.count) : 0;
    v.packets_received = m_conns.received();
    v.packets_sent = m_conns.sent();
    v.outstanding_requests = m_backlog.size() + m_pending.size() + m_forwarded.size();
    switch (m_role) {
    case PeerRole::Standalone: v.state = "standalone"; break;
    case PeerRole::Following: v.state = "follower"; break;
    case PeerRole::Leading: v.state = "leader"; break;
    case PeerRole::Looking: v.state = "looking"; break;
    }
    v.serving = m_serving;
    if (m_role != PeerRole::Standalone) {
        const char* phase = m_serving ? "broadcast" : "synchronization";
        v.peer_state = m_role == PeerRole::Looking ? "looking"
                       : fmt::format("{} - {}", m_role == PeerRole::Leading ? "leading" : "following", phase);
    }
    if (m_role == PeerRole::Leading && m_leader) {
        MonitorView::Leader l;
        l.learners = m_leader->learners().size();
        l.synced_followers = m_leader->synced_learners().size();
        for (const auto& [zxid, conns] : m_parked_syncs) l.pending_syncs += conns.size();
        l.uptime_ms = mono_ms() - m_leading_since_ms;
        l.last_proposal_size = m_proposal_sizes.last;
        l.min_proposal_size = m_proposal_sizes.min;
        l.max_proposal_size = m_proposal_sizes.max;
        v.leader = l;
    }
    v.node_count = m_tree->nodes().size() + 1;  // ZooKeeper's node table holds the root twice ("" and "/")
    v.watch_count = m_watches.watch_count();
    v.data_watch_count = m_watches.data_watch_count();
    v.watched_paths = m_watches.watched_paths();
    v.watching_connections = m_watches.watching_connections();
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
    v.open_file_descriptor_count = open_fds();
    v.global_sessions = m_proc->sessions().size();
    v.uptime_ms = wall_ms() - m_started_ms;
    const SyncStats st = m_syncer->stats();
    v.fsync_count = st.fsyncs;
    v.fsync_sum_ms = st.fsync_sum_us / 1000;
    v.fsync_min_ms = static_cast<std::int64_t>(st.fsync_min_us / 1000);
    v.fsync_max_ms = static_cast<std::int64_t>(st.fsync_max_us / 1000);
    v.fsync_avg_ms = st.fsyncs ? static_cast<double>(st.fsync_sum_us) / 1000.0 / static_cast<double>(st.fsyncs) : 0;
    v.last_snapshot_zxid = static_cast<std::uint64_t>(std::max<std::int64_t>(0, m_snapshots->last_snapshot_zxid()));
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
    for (const auto& [id, c] : m_conns.all()) {
        ConnectionView cv = c.view;
        cv.queued = 0;
        v.connections.push_back(std::move(cv));
    }
    return v;
}

}  // namespace zabra::node
