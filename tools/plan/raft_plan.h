// zabra plan for etcd member dirs: how the leader's raft will bring the
// follower up to date (append, truncate, or a snapshot), in raft's terms.
#pragma once

#include "tools/plan/plan_printer.h"

#include <string>

namespace zabra::tools {

struct RaftPlanOptions {
    std::string leader_dir;
    std::string follower_dir;
    std::uint64_t catch_up_entries = 5000;
};

// Throws std::runtime_error when a dir cannot be read as an etcd member.
RaftPlanReport raft_plan(const RaftPlanOptions& options);

}  // namespace zabra::tools
