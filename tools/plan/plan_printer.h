// Presentation of `zabra plan`; one implementation per output format. The
// command computes a report (data only) and hands it to a printer.
#pragma once

#include "libformat/etcd/raft_sync.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/sync_plan.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace zabra::tools {

// A ZooKeeper leader's sync of one learner, and what it does to the learner's files.
struct ZabPlanReport {
    zab::SyncPlan plan;
    std::int64_t peer_zxid = 0;
    // Bytes to send, known when the leader is a data dir (not a what-if state).
    std::optional<std::uint64_t> bytes;
    std::string notes;  // how the dirs were read: lines for the text output
    // With --learner DIR and a TRUNC: the learner's log cut after trunc_to,
    // the later logs deleted, and the snapshots newer than trunc_to that stay.
    std::optional<std::string> cut_log;
    std::vector<std::string> deleted_logs;
    std::vector<std::string> newer_snapshots;
};

// How an etcd raft leader catches a follower up.
struct RaftPlanReport {
    etcd::RaftSyncPlan plan;
    struct Member {
        std::uint64_t node_id = 0;
        std::uint64_t last_index = 0;
        std::uint64_t commit = 0;
        std::uint64_t snapshot_index = 0;
    } leader, follower;
    std::vector<std::string> warnings;
};

class PlanPrinter {
public:
    virtual ~PlanPrinter() = default;
    virtual void zab(const ZabPlanReport& r) = 0;
    virtual void raft(const RaftPlanReport& r) = 0;
};

std::unique_ptr<PlanPrinter> make_text_plan_printer(std::ostream& out);
std::unique_ptr<PlanPrinter> make_json_plan_printer(std::ostream& out);

}  // namespace zabra::tools
