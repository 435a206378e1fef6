#include "node/snapshot_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace zabra::node {

SnapshotScheduler::SnapshotScheduler(SnapshotSchedule s) : m_s(std::move(s)) {
    m_rand_roll = static_cast<std::int64_t>(m_rng() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, m_s.snap_count / 2)));
}

void SnapshotScheduler::draw_jitter() {
    const std::int64_t limit_bytes = m_s.snap_size_limit_kb > 0 ? m_s.snap_size_limit_kb * 1024 : 0;
    m_rand_roll = static_cast<std::int64_t>(m_rng() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, m_s.snap_count / 2)));
    m_rand_size = limit_bytes > 0 ? static_cast<std::int64_t>(m_rng() % static_cast<std::uint64_t>(limit_bytes / 2)) : 0;
}

bool SnapshotScheduler::txn_logged(const zab::Txn& t) {
    ++m_txns_since;
    m_bytes_since += 60;  // a rough record size: only the count matters by default
    const std::int64_t limit_bytes = m_s.snap_size_limit_kb > 0 ? m_s.snap_size_limit_kb * 1024 : 0;
    if (m_txns_since <= m_s.snap_count / 2 + m_rand_roll &&
        !(limit_bytes > 0 && m_bytes_since > limit_bytes / 2 + m_rand_size)) {
        return false;
    }
    // SyncRequestProcessor: roll the log now, snapshot, draw new jitter.
    start(t.header.zxid);
    m_txns_since = 0;
    m_bytes_since = 0;
    draw_jitter();
    return true;
}

void SnapshotScheduler::start(std::int64_t zxid) {
    const bool writing = m_job.valid() && m_job.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
    if (m_snapshot || writing) {
        m_s.log("too busy to snap, skipping");  // as ZooKeeper: the next trigger tries again
        return;
    }
    if (m_job.valid()) m_job.get();
    m_snapshot.emplace(zxid);
    m_begun = false;
}

void SnapshotScheduler::step(const zab::DataTree& tree, std::int64_t last_zxid, const SessionList& sessions) {
    if (!m_snapshot) return;
    if (!m_begun && tree.last_processed_zxid() < m_snapshot->zxid()) return;
    m_begun = true;
    if (!m_snapshot->step(tree, 4096)) return;
    auto parts = std::make_shared<FuzzySnapshot::Parts>(m_snapshot->finish(tree, last_zxid, sessions()));
    const std::int64_t zxid = m_snapshot->zxid();
    m_snapshot.reset();
    m_last_snapshot_zxid = zxid;
    const SnapshotSchedule s = m_s;
    m_job = std::async(std::launch::async, [s, parts, zxid] {
        try {
            const std::int64_t end = parts->end_zxid;
            const std::string bytes = encode_fuzzy_snapshot(std::move(*parts));
            write_snapshot_file(s.snap_dir, s.log_dir, zxid, bytes, s.retain, s.log,
                                [durable = s.durable, end] { return durable->load() >= end; });
        } catch (const std::exception& e) {
            s.log(fmt::format("snapshot 0x{:x} failed: {}", zxid, e.what()));
        }
    });
}

void SnapshotScheduler::stop() {
    m_snapshot.reset();
    if (m_job.valid()) m_job.get();
}

}  // namespace zabra::node
