// The standalone server behind run_server (server.h): one class whose jobs
// live in their own files. server.cpp: start-up, the event loop, shut-down;
// request_pipeline.cpp: requests in arrival order, writes prepared, logged
// and committed once durable (sync, then final), expiries; client_handshake.cpp: a connection's first
// frames (four-letter words, ConnectRequest); server_monitor.cpp: what the
// four-letter words show. Sockets are in client_conns, snapshots in
// snapshot_scheduler, the request logic in processor. Internal to node/.
#pragma once

#include "node/client_conns.h"
#include "node/monitor.h"
#include "node/persistence.h"
#include "node/processor.h"
#include "node/server.h"
#include "node/snapshot_scheduler.h"
#include "node/quorum/election_net.h"
#include "node/quorum/election_runner.h"
#include "node/quorum/epoch_files.h"
#include "node/quorum/follower_sync.h"
#include "node/quorum/leader_quorum.h"
#include "node/watches.h"

#include <atomic>
#include <map>
#include <optional>
#include <poll.h>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace zabra::node {

// A frame waiting its turn (see server.h).
struct QueuedFrame {
    std::uint64_t conn = 0;
    std::string payload;
    std::int64_t arrived_ms = 0;
};

// A prepared txn on its way to commit, and the reply released then.
struct PendingTxn {
    zab::Txn txn;
    std::uint64_t conn = 0;  // 0: nobody waits for a reply (expiries)
    std::string frame;
    bool close_after = false;
    std::int64_t arrived_ms = 0;
};

// What this server is in its ensemble (standalone: no ensemble).
enum class PeerRole { Standalone, Looking, Following, Leading };

// A client request a follower forwarded to the leader, answered when its
// txn comes back committed (or, for sync, when the leader's SYNC comes).
struct ForwardedRequest {
    std::uint64_t conn = 0;
    std::int64_t session = 0;
    std::int32_t xid = 0;
    std::int32_t type = 0;
    std::int64_t arrived_ms = 0;
    std::optional<ConnectResponse> connect;  // a new session: answered once its createSession commits
    std::string sync_path;
};

// A follower's connection to its leader's quorum port.
struct LeaderLink {
    int fd = -1;
    bool connecting = false;
    int tries = 0;
    std::int64_t retry_at_ms = 0;
    std::string in, out;
    std::optional<quorum::QuorumPacket> snap;  // a SNAP packet whose tree is still coming
    std::unique_ptr<zab::DataTree> received_tree;
    std::int64_t last_heard_ms = 0;
};

// A learner's connection to this leader's quorum port.
struct LearnerConn {
    int fd = -1;
    std::string in, out;
};

// Reply latencies, for srvr/stat/mntr.
struct LatencyStats {
    std::int64_t min_ms = 0, max_ms = 0;
    std::uint64_t sum_ms = 0, count = 0;
    void add(std::int64_t ms);
};

class Server {
public:
    explicit Server(const ServerOptions& o) : m_o(o), m_c(o.config), m_conns(o.config, o.log) {}

    int run();

private:
    // server.cpp
    void open_storage();
    // The tree to serve from (recovered, or a leader's SNAP), with a new
    // processor and a new sync thread over the same log dir.
    void use_tree(std::unique_ptr<zab::DataTree> tree, std::int64_t last_zxid);
    // One turn of the event loop; false once the server must stop
    // (m_exit_code says how).
    bool turn();
    void reload_database();

    void log(const std::string& s) { m_o.log(s); }

    // client_handshake.cpp
    void process_frames(std::uint64_t id);
    void handle_connect(Conn& c, const std::string& payload, std::int64_t arrived_ms);

    // request_pipeline.cpp
    void on_frame(Conn& c, std::string payload);
    // Whether a frame creates no txn, so must not run while earlier txns are
    // still uncommitted.
    bool waits_for_disk(const Conn& c, const std::string& payload) const;
    bool must_wait(const Conn& c, const std::string& payload) const;
    void drain_backlog();
    void handle(Conn& c, const std::string& payload, std::int64_t arrived_ms);
    void deliver(const Outcome& o, Conn* c, std::int64_t arrived_ms);
    void submit_txn(const zab::Txn& t);
    // Standalone, a txn commits once durable: applies the durable ones in
    // order, fires their watches and releases their replies.
    void commit_durable();
    void record_reply(Conn& c, std::int64_t zxid, std::int64_t arrived_ms);
    void send_events(const std::vector<WatchEvent>& events);
    void tick();

    // server_monitor.cpp
    MonitorView monitor_view() const;

    // ensemble.cpp: the election, and what follows a decision
    void start_ensemble();
    void start_looking();
    void on_decided(const quorum::ElectionDecision& d);
    quorum::ElectionSetup election_setup() const;
    void leave_role(const std::string& why);
    // acceptedEpoch or currentEpoch, durably, and in m_epochs.
    void write_epoch(const char* file, std::int64_t epoch);

    // follower_role.cpp
    void start_following(const quorum::ElectionDecision& d);
    void link_pollfd(std::vector<pollfd>& fds);
    void on_link_poll(short revents, std::int64_t now_ms);
    void read_link();
    void run_follower_steps(std::vector<quorum::FollowerStep> steps);
    void send_to_leader(const quorum::QuorumPacket& p);
    void flush_link();
    void forward(Conn& c, const Request& r, const std::string& payload, std::int64_t arrived_ms);
    void forward_new_session(Conn& c, std::int32_t timeout_ms, ConnectResponse rsp, std::int64_t arrived_ms);
    void apply_from_leader(const zab::Txn& t);
    void truncate_to(std::int64_t zxid);
    void take_received_tree();
    void write_full_snapshot();
    void wait_durable(std::int64_t zxid);

    // leader_role.cpp
    void start_leading(const quorum::ElectionDecision& d);
    void stop_leading();
    void leader_pollfds(std::vector<pollfd>& fds, std::vector<std::uint64_t>& conns);
    void on_leader_poll(const std::vector<pollfd>& fds, std::size_t first, const std::vector<std::uint64_t>& conns,
                        std::int64_t now_ms);
    void run_leader_steps(std::vector<quorum::LeaderStep> steps);
    void send_to_learner(std::uint64_t conn, const std::string& bytes);
    void drop_learner(std::uint64_t conn, const std::string& why);
    void sync_learner(const quorum::leader_step::SyncLearner& s);
    void commit_through(std::int64_t zxid);
    void on_learner_request(std::uint64_t conn, const quorum::QuorumPacket& p);
    // Standalone: to the log; leader: proposed to the quorum.
    void propose_or_log(const zab::Txn& t);

    void close_conn(std::uint64_t id, const std::string& why);

    const ServerOptions& m_o;
    const NodeConfig& m_c;
    std::filesystem::path m_snap_dir, m_log_dir;
    std::unique_ptr<zab::DataTree> m_tree;
    std::unique_ptr<Processor> m_proc;
    std::unique_ptr<TxnLogSyncer> m_syncer;
    std::unique_ptr<SnapshotScheduler> m_snapshots;
    ClientConns m_conns;
    int m_wake = -1, m_signals = -1;
    std::atomic<std::int64_t> m_durable{0};
    std::deque<QueuedFrame> m_backlog;
    std::deque<PendingTxn> m_pending;
    WatchManager m_watches;
    std::int64_t m_started_ms = 0;
    LatencyStats m_latency;
    std::int64_t m_next_expiry_check = 0;
    std::int64_t m_next_container_check = 0;
    bool m_stopping = false;
    int m_exit_code = 0;

    // The ensemble (doc/zab-follower.md); m_serving: clients are served
    // (always, standalone; once synced, in an ensemble).
    PeerRole m_role = PeerRole::Standalone;
    bool m_serving = true;
    quorum::Epochs m_epochs;
    std::unique_ptr<quorum::ElectionNet> m_election_net;
    std::unique_ptr<quorum::ElectionRunner> m_election;
    quorum::Vote m_vote;                   // what this server answers once decided
    std::unique_ptr<quorum::FollowerSync> m_follower;
    LeaderLink m_link;
    std::deque<ForwardedRequest> m_forwarded;
    std::map<std::int64_t, std::int32_t> m_touched;  // sessions touched since the leader's last PING
    // Leading (doc/zab-leader.md)
    std::unique_ptr<quorum::LeaderQuorum> m_leader;
    int m_quorum_listen = -1;
    std::map<std::uint64_t, LearnerConn> m_learner_conns;
    std::uint64_t m_next_learner = 1;
    std::deque<zab::Txn> m_committed_log;  // the newest committed txns (committedLog), for DIFF
    std::map<std::int64_t, std::vector<std::uint64_t>> m_parked_syncs;  // learner syncs waiting for a commit
    std::int64_t m_next_half_tick_ms = 0;
    std::int64_t m_leading_since_ms = 0;
    struct {
        std::int64_t last = -1, min = -1, max = -1;  // bytes of a PROPOSAL's txn (srvr, mntr)
    } m_proposal_sizes;
};

}  // namespace zabra::node
