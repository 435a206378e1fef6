#include "libformat/etcd/wal_rollback.h"

#include "libformat/common/error.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/wal_log.h"

#include <fmt/format.h>

namespace zabra::etcd {

WalRollbackPlan plan_wal_rollback(const MemberDir& member, std::uint64_t index, bool allow_below_commit) {
    WalRollbackPlan p;
    p.target = index;
    p.plan.command = "rollback";
    p.plan.target = fmt::format("index {}", index);
    // The last frame holding entry `index` (a later write of an index replaces earlier ones).
    // The records right after it up to the next entry (its HardState, a
    // snapshot record) stay: they were written with it and say nothing of
    // later entries. `data_end`: where the data ends, zero fill aside.
    struct Cut {
        bool found = false;
        std::size_t segment = 0;
        std::uint64_t end = 0;  // of what is kept
    } cut;
    bool keeping = false;
    std::uint64_t after = 0;
    std::vector<std::uint64_t> data_end(member.segments.size(), 0);
    WalLogReader reader(member.segments);
    WalLogRecord rec;
    while (reader.next(rec)) {
        const WalFrame& f = rec.frame;
        data_end[rec.segment] = f.offset + f.size;
        try {
            if (f.type == 3) p.commit = decode_hard_state(f.data, f.data_offset).commit;
            if (f.type != 2) {
                if (keeping && rec.segment == cut.segment) cut.end = f.offset + f.size;
                continue;
            }
            const Entry e = decode_entry(f.data, f.data_offset);
            if (e.index == index) {
                cut = {true, rec.segment, f.offset + f.size};
                keeping = true;
                after = 0;
            } else if (cut.found && e.index < index) {
                // A new leader rewrote the log below the target: the entry
                // found so far is superseded; the target must come again.
                cut = Cut{};
                keeping = false;
            } else if (cut.found) {
                keeping = false;
                ++after;
            }
        } catch (const FormatError& e) {
            throw WalRollbackRefused(fmt::format("{} @{}: {}: run zabra verify first",
                                                 member.segments[rec.segment].path.string(), f.offset, e.what()));
        }
    }
    for (const auto& se : reader.ends()) {
        if (se.end.kind == WalEndKind::Damaged && (!cut.found || se.segment <= cut.segment)) {
            throw WalRollbackRefused(fmt::format("{} is damaged at offset {} ({}): run zabra verify first",
                                                 member.segments[se.segment].path.string(), se.end.offset, se.end.detail));
        }
    }
    if (!cut.found) {
        throw WalRollbackRefused(fmt::format("index {} is in no entry of this member's log as raft replays it (absent, "
                                             "or written and then replaced by a new leader's shorter log)", index));
    }
    if (index < p.commit && !allow_below_commit) {
        throw WalRollbackRefused(fmt::format(
            "index {} is below the commit index {}: the cluster committed entries {}..{} with this member's log "
            "holding them, and raft panics when the leader tells it to commit what it no longer has (tocommit out "
            "of range); roll back at most to {}, or replace the member (--below-commit overrides)",
            index, p.commit, index + 1, p.commit, p.commit));
    }
    if (index < p.commit) {
        p.notes.push_back(fmt::format("below the commit index {}: remove this member from the cluster and add it back "
                                      "rather than restart it on this log", p.commit));
    }
    p.entries_removed = after;
    const SegmentFile& holder = member.segments[cut.segment];
    const bool later_data = data_end[cut.segment] > cut.end;
    if (later_data) {
        p.plan.steps.push_back({FileStep::Kind::Cut, holder.path, cut.end,
                                fmt::format("the records after entry {} and its HardState ({} entry records) and the "
                                            "zero fill", index, after)});
    }
    for (std::size_t i = cut.segment + 1; i < member.segments.size(); ++i) {
        p.plan.steps.push_back({FileStep::Kind::MoveAside, member.segments[i].path, 0, "a later segment"});
    }
    for (const SnapFileEntry& s : member.snaps) {
        if (s.name.index > index) {
            p.plan.steps.push_back({FileStep::Kind::MoveAside, s.path, 0,
                                    fmt::format("a snapshot at index {}, past the target", s.name.index)});
        }
    }
    if (member.db) {
        p.notes.push_back("snap/db is not changed: it holds only applied (committed) entries");
    }
    return p;
}

}  // namespace zabra::etcd
