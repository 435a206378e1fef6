// zabra-node's disk: ZooKeeper's FileTxnSnapLog layout, written through
// libformat. Txns are group-committed by a sync thread (many per fsync, like
// SyncRequestProcessor); snapshots are written by a snapshot thread via
// temp + fsync + rename + fsync(dir); old files are purged as PurgeTxnLog
// would keep them.
#pragma once

#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace zabra::node {

using LogLine = std::function<void(const std::string&)>;

struct RecoverOptions {
    std::filesystem::path snap_dir;  // .../version-2
    std::filesystem::path log_dir;   // .../version-2
    bool force = false;              // --force-recover: cut at mid-file damage too
};

struct Recovered {
    std::unique_ptr<zab::DataTree> tree;
    std::int64_t last_zxid = 0;
    std::int64_t snapshot_zxid = -1;  // -1: started from an empty tree
};

// Loads the newest valid snapshot and replays the logs after it. A torn
// tail is cut (and logged); mid-file damage throws std::runtime_error with
// what would be lost, unless options.force, which cuts there as well.
Recovered recover(const RecoverOptions& options, const LogLine& log);

struct SyncStats {
    std::uint64_t fsyncs = 0;
    std::uint64_t txns = 0;
    std::uint64_t fsync_sum_us = 0;
    std::uint64_t fsync_max_us = 0;
    std::uint64_t fsync_min_us = 0;
};

// The sync thread: appends txns to log.<zxid> files and fsyncs them in
// batches. submit() never blocks on disk; `on_durable` (called on the sync
// thread) says up to which zxid everything is on disk.
class TxnLogSyncer {
public:
    TxnLogSyncer(std::filesystem::path log_dir, std::uint64_t prealloc_bytes,
                 std::function<void(std::int64_t)> on_durable);
    ~TxnLogSyncer();
    TxnLogSyncer(const TxnLogSyncer&) = delete;
    TxnLogSyncer& operator=(const TxnLogSyncer&) = delete;

    void submit(const zab::Txn& txn);
    // The next txn submitted goes to a new log file (after a snapshot).
    void roll();
    void stop();  // drains, syncs and closes
    SyncStats stats() const;
    // Set when a write or fsync failed: the server must stop (a lost fsync is lost data).
    std::optional<std::string> failure() const;

private:
    void run();

    std::filesystem::path m_dir;
    std::uint64_t m_prealloc;
    std::function<void(std::int64_t)> m_on_durable;
    mutable std::mutex m_mu;
    std::condition_variable m_cv;
    struct Item {
        std::int64_t zxid;
        std::string payload;
        bool roll_before;
    };
    std::deque<Item> m_queue;
    bool m_roll_next = false;
    bool m_stop = false;
    SyncStats m_stats;
    std::optional<std::string> m_failure;
    std::thread m_thread;
};

// A snapshot of a live tree, serialised a slice at a time on the thread that
// owns the tree, so that no request waits for a whole tree (ZooKeeper's
// fuzzy snapshot). It is named after the last zxid applied when it starts;
// nodes changed meanwhile may be in it in either state, which replaying the
// logs from that zxid repairs, as for ZooKeeper's. The digest section holds
// the tree's digest when it ends, with that zxid.
class FuzzySnapshot {
public:
    FuzzySnapshot(std::int64_t zxid) : m_zxid(zxid), m_stack{std::string()} {}
    std::int64_t zxid() const { return m_zxid; }
    // Serialises up to `budget` nodes, depth first; true once all are done.
    bool step(const zab::DataTree& tree, std::size_t budget);
    // The head (sessions and ACLs as they are now: a superset of what the
    // nodes refer to), the nodes, and the trailer fields; see encode_fuzzy_snapshot.
    struct Parts {
        std::string head;
        std::string nodes;
        zab::SnapshotTrailer trailer;
        std::int64_t end_zxid = 0;  // everything in it is durable once the log reaches this
    };
    Parts finish(const zab::DataTree& tree, std::int64_t last_zxid,
                 const std::vector<std::pair<std::int64_t, std::int32_t>>& sessions);

private:
    std::int64_t m_zxid;
    std::vector<std::string> m_stack;
    std::string m_nodes;
};

// The file bytes of a finished FuzzySnapshot (seals computed here, off the
// loop thread).
std::string encode_fuzzy_snapshot(FuzzySnapshot::Parts parts);

// Writes snapshot.<zxid> via a temp file and fsync; renames it into place
// (and fsyncs the directory) only once `durable()` says every txn in it is
// on disk; then keeps the newest `retain` snapshots and the logs they need.
void write_snapshot_file(const std::filesystem::path& snap_dir, const std::filesystem::path& log_dir,
                         std::int64_t zxid, const std::string& bytes, int retain, const LogLine& log,
                         const std::function<bool()>& durable = [] { return true; });

}  // namespace zabra::node
