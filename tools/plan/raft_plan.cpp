#include "tools/plan/raft_plan.h"

#include "tools/common/format_util.h"

#include <fmt/format.h>

#include <stdexcept>

namespace zabra::tools {

namespace {

std::string opt(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "null"; }

etcd::RaftLog load(const std::string& dir, const char* role) {
    const etcd::MemberDir m = etcd::list_member_dir(dir);
    if (m.segments.empty()) throw std::runtime_error(fmt::format("{} {}: no WAL segments", role, dir));
    return etcd::load_raft_log(m);
}

}  // namespace

etcd::RaftSyncPlan run_raft_plan(const RaftPlanOptions& o, std::ostream& out) {
    const etcd::RaftLog leader = load(o.leader_dir, "--leader");
    const etcd::RaftLog follower = load(o.follower_dir, "--learner");
    const etcd::RaftSyncPlan p = etcd::plan_raft_sync(leader, follower, o.catch_up_entries);
    std::vector<std::string> warnings = p.warnings;
    for (const auto& s : leader.problems) warnings.push_back("leader's WAL: " + s);
    for (const auto& s : follower.problems) warnings.push_back("follower's WAL: " + s);
    if (leader.node_id != 0 && leader.node_id == follower.node_id) {
        warnings.push_back(fmt::format("both dirs are member {:x}", leader.node_id));
    }
    if (o.json) {
        std::string w = "[";
        for (std::size_t i = 0; i < warnings.size(); ++i) w += (i ? "," : "") + json_string(warnings[i]);
        w += "]";
        const std::uint64_t count = p.append_first ? *p.append_last - *p.append_first + 1 : 0;
        // bytes: all that is sent; with a snapshot of unknown size, unknown.
        const bool snapshot = p.kind == etcd::RaftSyncKind::Snapshot;
        const std::optional<std::uint64_t> bytes =
            !snapshot ? std::optional(p.append_bytes)
            : p.snapshot_bytes ? std::optional(*p.snapshot_bytes + p.append_bytes) : std::nullopt;
        out << fmt::format(
            "{{\"kind\":\"{}\",\"match_index\":{},\"match_term\":{},\"drop_first\":{},\"drop_last\":{},"
            "\"append_first\":{},\"append_last\":{},\"count\":{},\"bytes\":{},\"entry_bytes\":{},"
            "\"snapshot_index\":{},\"snapshot_term\":{},\"snapshot_index_from\":{},\"snapshot_bytes\":{},"
            "\"leader_snap_index\":{},\"leader_last_index\":{},\"leader_commit\":{},\"leader_first_available\":{},"
            "\"follower_last_index\":{},\"follower_commit\":{},\"rule\":\"{}\",\"reason\":{},\"warnings\":{}}}\n",
            etcd::raft_sync_kind_name(p.kind), p.match_index, p.match_term, opt(p.drop_first), opt(p.drop_last),
            opt(p.append_first), opt(p.append_last), count, opt(bytes), p.append_bytes, opt(p.snapshot_index),
            opt(p.snapshot_term), snapshot ? json_string(p.applied_from) : "null", opt(p.snapshot_bytes),
            leader.snapshot_index, leader.last_index(), leader.commit, p.leader_first_available, follower.last_index(),
            follower.commit, p.rule, json_string(p.reason), w);
        return p;
    }
    out << fmt::format("leader {:x}: last index {}, commit {}, newest .snap at {} (keeps entries from {})\n",
                       leader.node_id, leader.last_index(), leader.commit, leader.snapshot_index,
                       p.leader_first_available);
    out << fmt::format("follower {:x}: last index {}, commit {}\n", follower.node_id, follower.last_index(),
                       follower.commit);
    out << fmt::format("plan: {}\n", etcd::raft_sync_kind_name(p.kind));
    out << fmt::format("  match: index {} term {}\n", p.match_index, p.match_term);
    if (p.drop_first) out << fmt::format("  follower drops: {}..{} ({} entries)\n", *p.drop_first, *p.drop_last, *p.drop_last - *p.drop_first + 1);
    if (p.snapshot_index) {
        out << fmt::format("  snapshot: a merged snapshot (the leader's db and v2 store) at its applied index {}, "
                           "term {} (applied index estimated as its {})\n",
                           *p.snapshot_index, p.snapshot_term ? std::to_string(*p.snapshot_term) : "unknown",
                           p.applied_from);
        out << (p.snapshot_bytes ? fmt::format("  snapshot size: about {} bytes (the leader's snap/db)\n",
                                               *p.snapshot_bytes)
                                 : std::string("  snapshot size: unknown (the leader has no snap/db)\n"));
    }
    if (p.append_first) {
        out << fmt::format("  entries sent{}: {}..{} ({} entries, {} bytes of entry data)\n",
                           p.snapshot_index ? " after the snapshot" : "", *p.append_first, *p.append_last,
                           *p.append_last - *p.append_first + 1, p.append_bytes);
    } else if (p.snapshot_index) {
        out << "  entries sent after the snapshot: none (the leader's log ends at its applied index)\n";
    }
    out << fmt::format("  rule: {}: {}\n", p.rule, p.reason);
    for (const auto& w : warnings) out << "  warning: " << w << '\n';
    return p;
}

}  // namespace zabra::tools
