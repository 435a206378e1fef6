#include "tools/plan/plan_printer.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

class TextPlanPrinter final : public PlanPrinter {
public:
    explicit TextPlanPrinter(std::ostream& out) : m_out(out) {}

    void zab(const ZabPlanReport& r) override {
        const zab::SyncPlan& plan = r.plan;
        m_out << r.notes;
        m_out << fmt::format("plan: {}\n", zab::sync_kind_name(plan.kind));
        if (plan.trunc_to) m_out << fmt::format("  TRUNC to {}\n", zab::zxid_hex(*plan.trunc_to));
        if (plan.diff_zxid) m_out << fmt::format("  DIFF packet zxid {}\n", zab::zxid_hex(*plan.diff_zxid));
        if (!plan.proposals.empty()) {
            m_out << fmt::format("  proposals {}..{} ({} txns)\n", zab::zxid_hex(plan.proposals.front()),
                                 zab::zxid_hex(plan.proposals.back()), plan.proposals.size());
        }
        if (r.bytes && plan.kind == zab::SyncKind::Snap) {
            m_out << fmt::format("  to send: a snapshot, about {} bytes (the newest snapshot's size)\n", *r.bytes);
        } else if (r.bytes && !plan.proposals.empty()) {
            m_out << fmt::format("  to send: {} bytes of txns, plus a packet header and a COMMIT for each\n",
                                 *r.bytes);
        }
        m_out << fmt::format("  rule: {}: {}\n", plan.rule, plan.reason);
        if (r.cut_log) {
            m_out << fmt::format("  learner: {} is cut after {}", *r.cut_log, zab::zxid_hex(*plan.trunc_to));
            for (std::size_t i = 0; i < r.deleted_logs.size(); ++i) {
                m_out << (i == 0 ? "; deleted: " : ", ") << r.deleted_logs[i];
            }
            m_out << '\n';
        }
        for (const auto& snap : r.newer_snapshots) {
            m_out << fmt::format("  learner: {} is newer than {} and stays: ZooKeeper's TRUNC does not move "
                                 "it aside, and a restart would load it (ZOOKEEPER-4837)\n",
                                 snap, zab::zxid_hex(*plan.trunc_to));
        }
        switch (plan.kind) {
        case zab::SyncKind::EmptyDiff: m_out << "  on the learner's disk: nothing changes\n"; break;
        case zab::SyncKind::Diff: m_out << "  on the learner's disk: the txns are appended to its log\n"; break;
        case zab::SyncKind::Trunc:
        case zab::SyncKind::TruncDiff:
            m_out << fmt::format("  on the learner's disk: the log holding {} is cut right after it, later logs are "
                                 "deleted (newer snapshots stay), {}a snapshot is written\n",
                                 zab::zxid_hex(*plan.trunc_to),
                                 plan.kind == zab::SyncKind::TruncDiff ? "the txns applied, " : "");
            break;
        case zab::SyncKind::Snap:
            m_out << "  on the learner's disk: a snapshot of the leader's tree is written; its logs stay\n";
            break;
        }
    }

    void raft(const RaftPlanReport& r) override {
        const etcd::RaftSyncPlan& p = r.plan;
        m_out << fmt::format("leader {:x}: last index {}, commit {}, newest .snap at {} (keeps entries from {})\n",
                             r.leader.node_id, r.leader.last_index, r.leader.commit, r.leader.snapshot_index,
                             p.leader_first_available);
        m_out << fmt::format("follower {:x}: last index {}, commit {}\n", r.follower.node_id, r.follower.last_index,
                             r.follower.commit);
        m_out << fmt::format("plan: {}\n", etcd::raft_sync_kind_name(p.kind));
        m_out << fmt::format("  match: index {} term {}\n", p.match_index, p.match_term);
        if (p.drop_first) {
            m_out << fmt::format("  follower drops: {}..{} ({} entries)\n", *p.drop_first, *p.drop_last,
                                 *p.drop_last - *p.drop_first + 1);
        }
        if (p.snapshot_index) {
            m_out << fmt::format("  snapshot: a merged snapshot (the leader's db and v2 store) at its applied index {}, "
                                 "term {} (applied index estimated as its {})\n",
                                 *p.snapshot_index, p.snapshot_term ? std::to_string(*p.snapshot_term) : "unknown",
                                 p.applied_from);
            m_out << (p.snapshot_bytes ? fmt::format("  snapshot size: about {} bytes (the leader's snap/db)\n",
                                                     *p.snapshot_bytes)
                                       : std::string("  snapshot size: unknown (the leader has no snap/db)\n"));
        }
        if (p.append_first) {
            m_out << fmt::format("  entries sent{}: {}..{} ({} entries, {} bytes of entry data)\n",
                                 p.snapshot_index ? " after the snapshot" : "", *p.append_first, *p.append_last,
                                 *p.append_last - *p.append_first + 1, p.append_bytes);
        } else if (p.snapshot_index) {
            m_out << "  entries sent after the snapshot: none (the leader's log ends at its applied index)\n";
        }
        m_out << fmt::format("  rule: {}: {}\n", p.rule, p.reason);
        for (const auto& w : r.warnings) m_out << "  warning: " << w << '\n';
    }

private:
    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<PlanPrinter> make_text_plan_printer(std::ostream& out) { return std::make_unique<TextPlanPrinter>(out); }

}  // namespace zabra::tools
