// zabra plan: how a ZooKeeper 3.8 leader will sync a learner (DIFF, TRUNC,
// TRUNC+DIFF or SNAP), from data dirs or from a what-if leader state; for two
// etcd member dirs, how the raft leader will catch the follower up.
#pragma once

#include "libformat/zab/sync_plan.h"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <optional>
#include <string>

namespace zabra::tools {

struct PlanOptions {
    std::string leader_dir;
    std::string learner_dir;
    std::string peer_zxid;
    std::string leader_state;  // what-if JSON file
    int commit_log_count = 500;
    double snapshot_size_factor = 0.33;
    bool force_snap_sync = false;
    bool json = false;
    std::uint64_t catch_up_entries = 5000;  // etcd
};

// The plan's kind, or why there is none.
struct [[nodiscard]] PlanOutcome {
    std::optional<zab::SyncKind> kind;
    bool bad_input = false;
    bool usage = false;  // wrong arguments, or dirs with no data (or of two systems) to plan from
};

void setup_plan(CLI::App& app, PlanOptions& options);
PlanOutcome run_plan(const PlanOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
