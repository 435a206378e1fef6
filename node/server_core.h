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
#include "node/watches.h"

#include <atomic>
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
};

}  // namespace zabra::node
