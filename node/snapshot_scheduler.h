// When zabra-node takes a snapshot, and taking it without stopping the
// server: SyncRequestProcessor's trigger (snapCount/2 plus a random part of
// it txns, or snapSizeLimitInKb/2 plus a random part of it bytes, since the
// last one), a FuzzySnapshot serialised a slice per event-loop turn, and the
// file written by a background thread once the txns it holds are durable.
#pragma once

#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn.h"
#include "node/persistence.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <utility>
#include <vector>

namespace zabra::node {

struct SnapshotSchedule {
    std::filesystem::path snap_dir, log_dir;  // .../version-2
    std::int64_t snap_count = 100000;
    std::int64_t snap_size_limit_kb = 0;  // 0: no size trigger
    int retain = 3;
    LogLine log;
    const std::atomic<std::int64_t>* durable = nullptr;  // the last durable zxid
};

class SnapshotScheduler {
public:
    explicit SnapshotScheduler(SnapshotSchedule s);
    ~SnapshotScheduler() { stop(); }
    SnapshotScheduler(const SnapshotScheduler&) = delete;
    SnapshotScheduler& operator=(const SnapshotScheduler&) = delete;

    // Counts a txn that was just logged; true when a snapshot named after
    // it has been started, so that the log is rolled now.
    bool txn_logged(const zab::Txn& t);
    // Starts a snapshot of the tree as it is at `zxid` (skipped, with
    // ZooKeeper's "too busy to snap", while one is still being taken). Its
    // serialising begins once the tree has applied `zxid`: txns are logged
    // before they are committed, and a fuzzy snapshot must hold every txn up
    // to its name.
    void start(std::int64_t zxid);
    // Whether a snapshot is being serialised (the loop should not sleep).
    bool serialising() const { return m_snapshot.has_value() && m_begun; }
    // (id, timeout ms) of every session, asked for when a snapshot ends.
    using SessionList = std::function<std::vector<std::pair<std::int64_t, std::int32_t>>()>;
    // One slice of the snapshot being serialised; when it is done, hands it
    // to the writer thread.
    void step(const zab::DataTree& tree, std::int64_t last_zxid, const SessionList& sessions);
    // Drops an unfinished snapshot: the logs hold everything.
    void drop_unfinished() { m_snapshot.reset(); }
    // That, and waits for the writer (after the txn log is synced: the
    // writer waits for its txns to be durable).
    void stop();
    std::int64_t last_snapshot_zxid() const { return m_last_snapshot_zxid; }

private:
    void draw_jitter();

    SnapshotSchedule m_s;
    std::mt19937_64 m_rng{std::random_device{}()};
    std::int64_t m_txns_since = 0;
    std::int64_t m_bytes_since = 0;
    std::int64_t m_rand_roll = 0;
    std::int64_t m_rand_size = 0;
    std::optional<FuzzySnapshot> m_snapshot;  // being serialised, a slice per loop turn
    bool m_begun = false;                     // the tree has reached its zxid
    std::future<void> m_job;                  // writing the previous one
    std::int64_t m_last_snapshot_zxid = -1;
};

}  // namespace zabra::node
