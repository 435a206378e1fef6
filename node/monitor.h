// Four-letter words (ruok, srvr, stat, mntr, conf, cons, dirs, wchs, isro):
// the server's loop gathers a MonitorView; four_letter_response formats it
// exactly as ZooKeeper 3.8 formats the same command, so one monitor (zktop,
// `zabra top`, nagios checks) serves both.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zabra::node {

// One client connection, for `cons` and `stat`.
struct ConnectionView {
    std::string remote;  // "/127.0.0.1:54321", as Java prints an InetSocketAddress
    int interest_ops = 1;  // SelectionKey bits: 1 read, 4 write
    std::uint64_t queued = 0;
    std::uint64_t received = 0;  // packets
    std::uint64_t sent = 0;
    std::optional<std::int64_t> session;  // none before the handshake ends
    std::string last_op = "NA";           // "GETD", "SETD", "CREA", "DELE", "EXIS", "GETC", "PING", ...
    std::int64_t established_ms = 0;      // wall clock, ms since the epoch
    std::int32_t timeout_ms = 0;          // negotiated session timeout
    std::int64_t last_cxid = -1;
    std::int64_t last_zxid = -1;
    std::int64_t last_response_ms = 0;
    std::int64_t last_latency_ms = 0;
    std::int64_t min_latency_ms = 0;
    double avg_latency_ms = 0;
    std::int64_t max_latency_ms = 0;
};

struct MonitorView {
    std::string version;        // "3.8.0-zabra-0.1.0, built on 2026-11-26"
    std::string state = "standalone";
    bool serving = true;        // false: "This ZooKeeper instance is not currently serving requests"
    bool read_only = false;
    std::int64_t zxid = 0;
    std::int64_t min_latency_ms = 0;
    double avg_latency_ms = 0;
    std::int64_t max_latency_ms = 0;
    std::uint64_t packets_received = 0;
    std::uint64_t packets_sent = 0;
    std::uint64_t outstanding_requests = 0;
    std::uint64_t node_count = 0;
    std::uint64_t watch_count = 0;           // mntr: data watches + child watches
    // `wchs` counts data watches (getData/exists) only, never child watches:
    std::uint64_t watched_paths = 0;
    std::uint64_t watching_connections = 0;
    std::uint64_t data_watch_count = 0;      // wchs "Total watches:"
    std::uint64_t ephemerals_count = 0;
    std::uint64_t approximate_data_size = 0;  // sum of path + data lengths
    std::uint64_t open_file_descriptor_count = 0;
    std::uint64_t max_file_descriptor_count = 0;
    std::uint64_t global_sessions = 0;
    std::int64_t uptime_ms = 0;
    std::uint64_t fsync_count = 0;           // for zk_cnt_fsynctime etc.
    double fsync_avg_ms = 0;
    std::int64_t fsync_min_ms = 0;
    std::int64_t fsync_max_ms = 0;
    std::uint64_t fsync_sum_ms = 0;
    std::uint64_t last_snapshot_zxid = 0;
    std::uint64_t datadir_size = 0;          // bytes of files in dataDir/version-2
    std::uint64_t logdir_size = 0;           // bytes of files in dataLogDir/version-2
    // `conf` lines in order: clientPort, secureClientPort, dataDir, dataDirSize,
    // dataLogDir, dataLogSize, tickTime, maxClientCnxns, minSessionTimeout,
    // maxSessionTimeout, clientPortListenBacklog, serverId (as ZooKeeper 3.8 prints them).
    std::vector<std::pair<std::string, std::string>> conf;
    std::vector<ConnectionView> connections;
    // In an ensemble: mntr's zk_peer_state ("leading - broadcast", ...).
    std::string peer_state;
    // A leader's own keys (LeaderZooKeeperServer's gauges, srvr's proposal sizes).
    struct Leader {
        std::uint64_t learners = 0;
        std::uint64_t synced_followers = 0;
        std::uint64_t pending_syncs = 0;
        std::int64_t uptime_ms = 0;
        std::int64_t last_proposal_size = -1, min_proposal_size = -1, max_proposal_size = -1;
    };
    std::optional<Leader> leader;
};

// The four-letter words ZooKeeper 3.8 knows (all of them, also those zabra
// does not implement), for telling a 4lw from a length prefix.
bool is_four_letter_word(std::string_view word);

// The bytes ZooKeeper 3.8 sends for `word` (then it closes the connection).
// `whitelist` holds the allowed words, or "*"; ZooKeeper's default is {"srvr"}.
// A word not whitelisted gets "<word> is not executed because it is not in the whitelist.\n".
std::string four_letter_response(std::string_view word, const MonitorView& view,
                                 const std::set<std::string>& whitelist);

}  // namespace zabra::node
