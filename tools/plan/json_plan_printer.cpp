#include "tools/plan/plan_printer.h"

#include "tools/common/format_util.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

std::string json_zxid(const std::optional<std::int64_t>& z) { return z ? fmt::format("\"{}\"", zab::zxid_hex(*z)) : "null"; }
std::string json_number(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "null"; }

class JsonPlanPrinter final : public PlanPrinter {
public:
    explicit JsonPlanPrinter(std::ostream& out) : m_out(out) {}

    void zab(const ZabPlanReport& r) override {
        const zab::SyncPlan& plan = r.plan;
        const bool any = !plan.proposals.empty();
        m_out << fmt::format("{{\"kind\":\"{}\",\"trunc_to\":{},\"diff_first\":{},\"diff_last\":{},\"count\":{},"
                             "\"bytes\":{},"
                             "\"diff_zxid\":{},\"peer_zxid\":\"{}\",\"current_zxid\":\"{}\",\"rule\":\"{}\","
                             "\"reason\":{}}}\n",
                             zab::sync_kind_name(plan.kind), json_zxid(plan.trunc_to),
                             json_zxid(any ? std::optional(plan.proposals.front()) : std::nullopt),
                             json_zxid(any ? std::optional(plan.proposals.back()) : std::nullopt),
                             plan.proposals.size(), json_number(r.bytes), json_zxid(plan.diff_zxid),
                             zab::zxid_hex(r.peer_zxid), zab::zxid_hex(plan.current_zxid), plan.rule,
                             json_string(plan.reason));
    }

    void raft(const RaftPlanReport& r) override {
        const etcd::RaftSyncPlan& p = r.plan;
        std::string w = "[";
        for (std::size_t i = 0; i < r.warnings.size(); ++i) {
            if (i != 0) w += ',';
            w += json_string(r.warnings[i]);
        }
        w += "]";
        const std::uint64_t count = p.append_first ? *p.append_last - *p.append_first + 1 : 0;
        // bytes: all that is sent; with a snapshot of unknown size, unknown.
        const bool snapshot = p.kind == etcd::RaftSyncKind::Snapshot;
        const std::optional<std::uint64_t> bytes =
            !snapshot ? std::optional(p.append_bytes)
            : p.snapshot_bytes ? std::optional(*p.snapshot_bytes + p.append_bytes) : std::nullopt;
        m_out << fmt::format(
            "{{\"kind\":\"{}\",\"match_index\":{},\"match_term\":{},\"drop_first\":{},\"drop_last\":{},"
            "\"append_first\":{},\"append_last\":{},\"count\":{},\"bytes\":{},\"entry_bytes\":{},"
            "\"snapshot_index\":{},\"snapshot_term\":{},\"snapshot_index_from\":{},\"snapshot_bytes\":{},"
            "\"leader_snap_index\":{},\"leader_last_index\":{},\"leader_commit\":{},\"leader_first_available\":{},"
            "\"follower_last_index\":{},\"follower_commit\":{},\"rule\":\"{}\",\"reason\":{},\"warnings\":{}}}\n",
            etcd::raft_sync_kind_name(p.kind), p.match_index, p.match_term, json_number(p.drop_first),
            json_number(p.drop_last), json_number(p.append_first), json_number(p.append_last), count,
            json_number(bytes), p.append_bytes, json_number(p.snapshot_index), json_number(p.snapshot_term),
            snapshot ? json_string(p.applied_from) : "null", json_number(p.snapshot_bytes), r.leader.snapshot_index,
            r.leader.last_index, r.leader.commit, p.leader_first_available, r.follower.last_index, r.follower.commit,
            p.rule, json_string(p.reason), w);
    }

private:
    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<PlanPrinter> make_json_plan_printer(std::ostream& out) { return std::make_unique<JsonPlanPrinter>(out); }

}  // namespace zabra::tools
