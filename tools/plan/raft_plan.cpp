#include "tools/plan/raft_plan.h"

#include <fmt/format.h>

#include <stdexcept>

namespace zabra::tools {

namespace {

etcd::RaftLog load(const std::string& dir, const char* role) {
    const etcd::MemberDir m = etcd::list_member_dir(dir);
    if (m.segments.empty()) throw std::runtime_error(fmt::format("{} {}: no WAL segments", role, dir));
    return etcd::load_raft_log(m);
}

RaftPlanReport::Member member(const etcd::RaftLog& log) {
    return {log.node_id, log.last_index(), log.commit, log.snapshot_index};
}

}  // namespace

RaftPlanReport raft_plan(const RaftPlanOptions& o) {
    const etcd::RaftLog leader = load(o.leader_dir, "--leader");
    const etcd::RaftLog follower = load(o.follower_dir, "--learner");
    RaftPlanReport r;
    r.plan = etcd::plan_raft_sync(leader, follower, o.catch_up_entries);
    r.leader = member(leader);
    r.follower = member(follower);
    r.warnings = r.plan.warnings;
    for (const auto& s : leader.problems) r.warnings.push_back("leader's WAL: " + s);
    for (const auto& s : follower.problems) r.warnings.push_back("follower's WAL: " + s);
    if (leader.node_id != 0 && leader.node_id == follower.node_id) {
        r.warnings.push_back(fmt::format("both dirs are member {:x}", leader.node_id));
    }
    return r;
}

}  // namespace zabra::tools
