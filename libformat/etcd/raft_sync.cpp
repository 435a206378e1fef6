#include "libformat/etcd/raft_sync.h"

#include "libformat/common/error.h"
#include "libformat/common/mapped_file.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/wal_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace zabra::etcd {

std::optional<std::uint64_t> RaftLog::term_at(std::uint64_t i) const {
    if (i == snapshot_index && i != 0 && (terms.empty() || i < first_index)) return snapshot_term;
    if (terms.empty() || i < first_index || i > last_index()) return i == 0 ? std::optional<std::uint64_t>(0) : std::nullopt;
    return terms[i - first_index];
}

RaftLog load_raft_log(const MemberDir& member) {
    RaftLog log;
    WalLogReader reader(member.segments);
    WalLogRecord rec;
    while (reader.next(rec)) {
        const WalFrame& f = rec.frame;
        try {
            if (f.type == 1 && log.node_id == 0) log.node_id = decode_metadata(f.data, f.data_offset).node_id;
            if (f.type == 3) {
                const HardState h = decode_hard_state(f.data, f.data_offset);
                log.commit = h.commit;
                log.hard_term = h.term;
            }
            if (f.type != 2) continue;
            const Entry e = decode_entry(f.data, f.data_offset);
            if (log.terms.empty() || e.index < log.first_index || e.index > log.last_index() + 1) {
                if (!log.terms.empty() && e.index > log.last_index() + 1) {
                    log.problems.push_back(fmt::format("entries {}..{} are missing", log.last_index() + 1, e.index - 1));
                }
                log.terms.clear();
                log.entry_bytes.clear();
                log.first_index = e.index;
            } else {
                const std::size_t keep = static_cast<std::size_t>(e.index - log.first_index);
                log.terms.resize(keep);  // a later write of an index replaces the tail from there
                log.entry_bytes.resize(keep);
            }
            log.terms.push_back(e.term);
            log.entry_bytes.push_back(e.data.size());
        } catch (const FormatError& e) {
            log.problems.push_back(fmt::format("{} @{}: {}", member.segments[rec.segment].path.filename().string(),
                                               f.offset, e.what()));
        }
    }
    for (const auto& se : reader.ends()) {
        if (se.open_error) log.problems.push_back(*se.open_error);
        if (se.end.kind == WalEndKind::Damaged) {
            log.problems.push_back(fmt::format("{} @{}: {}", member.segments[se.segment].path.filename().string(),
                                               se.end.offset, se.end.detail));
        }
    }
    if (member.db) {
        std::error_code ec;
        const std::uintmax_t size = std::filesystem::file_size(*member.db, ec);
        if (!ec) log.db_bytes = size;
    }
    // The newest intact .snap at or below the commit index: where etcd restarts from.
    for (auto it = member.snaps.rbegin(); it != member.snaps.rend(); ++it) {
        try {
            MappedFile m(it->path);
            const SnapFile s = decode_snap_file(m.bytes());
            if (!s.crc_ok() || s.index > log.commit) continue;
            log.snapshot_index = s.index;
            log.snapshot_term = s.term;
            break;
        } catch (const std::exception&) {
        }
    }
    return log;
}

namespace {

// The data bytes of the entries first..last that `log` holds.
std::uint64_t entry_bytes(const RaftLog& log, std::uint64_t first, std::uint64_t last) {
    std::uint64_t bytes = 0;
    if (log.terms.empty()) return 0;
    for (std::uint64_t i = std::max(first, log.first_index); i <= std::min(last, log.last_index()); ++i) {
        bytes += log.entry_bytes[i - log.first_index];
    }
    return bytes;
}

}  // namespace

const char* raft_sync_kind_name(RaftSyncKind k) {
    switch (k) {
    case RaftSyncKind::UpToDate: return "UP_TO_DATE";
    case RaftSyncKind::Append: return "APPEND";
    case RaftSyncKind::Truncate: return "TRUNCATE";
    case RaftSyncKind::TruncateAndAppend: return "TRUNCATE+APPEND";
    case RaftSyncKind::Snapshot: return "SNAPSHOT";
    }
    return "?";
}

RaftSyncPlan plan_raft_sync(const RaftLog& leader, const RaftLog& follower, std::uint64_t catch_up_entries) {
    RaftSyncPlan p;
    const std::uint64_t leader_last = leader.last_index();
    const std::uint64_t follower_last = follower.last_index();
    // A running etcd compacts its raft log to snapshot - catch-up entries; and
    // it cannot send what its WAL no longer holds either.
    std::uint64_t first = leader.snapshot_index > catch_up_entries ? leader.snapshot_index - catch_up_entries + 1 : 1;
    // And it has nothing before its WAL's first entry but its snapshot.
    first = std::max(first, leader.terms.empty() ? leader.snapshot_index + 1 : leader.first_index);
    p.leader_first_available = first;

    // The match: the highest index both hold with the same term. Raft finds it
    // by probing backwards from the follower's last index; the logs agree
    // below it (log matching), so a backward scan stops at the first hit.
    std::uint64_t match = 0;
    bool found = false;
    for (std::uint64_t i = std::min(leader_last, follower_last);; --i) {
        const auto lt = leader.term_at(i);
        const auto ft = follower.term_at(i);
        if (lt && ft && *lt == *ft) {
            match = i;
            p.match_term = *lt;
            found = true;
            break;
        }
        if (i == 0 || (!lt && i < first) || (!ft && i < follower.first_index && i != follower.snapshot_index)) break;
    }
    p.match_index = match;
    if (follower_last > match) {
        p.drop_first = match + 1;
        p.drop_last = follower_last;
    }
    if (follower.commit > match && found) {
        p.warnings.push_back(fmt::format(
            "the follower has committed up to {}, past the match at {}: the logs disagree on committed entries, "
            "which raft forbids (a restored or mixed data dir?); etcd will panic", follower.commit, match));
    }
    if (follower.commit > leader_last) {
        p.warnings.push_back(fmt::format(
            "the follower's commit index {} is past the leader's last index {}: this leader lost entries the "
            "cluster committed", follower.commit, leader_last));
    }
    if (!found || match + 1 < first) {
        // raft's MsgSnap would carry the .snap at leader.snapshot_index, but
        // etcd replaces it with a merged snapshot at its applied index; the
        // follower then reports that index and the leader sends what follows.
        p.kind = RaftSyncKind::Snapshot;
        const bool from_commit = leader.commit <= leader_last;
        const std::uint64_t applied = std::max(from_commit ? leader.commit : leader_last, leader.snapshot_index);
        p.snapshot_index = applied;
        p.snapshot_term = leader.term_at(applied);
        p.applied_from = from_commit ? "commit" : "last index";
        p.snapshot_bytes = leader.db_bytes;
        p.rule = found ? "compacted" : "no-common-entry";
        if (leader_last > applied) {
            p.append_first = applied + 1;
            p.append_last = leader_last;
            p.append_bytes = entry_bytes(leader, applied + 1, leader_last);
        }
        const std::string what =
            fmt::format("it sends a merged snapshot at its applied index {} (its {}; raft's snapshot is at {}), {}",
                        applied, p.applied_from, leader.snapshot_index,
                        p.append_first ? fmt::format("then entries {}..{}", *p.append_first, *p.append_last)
                                       : std::string("and no entries after it (its log ends there)"));
        p.reason = found ? fmt::format("the follower matches the leader up to index {}, but the leader keeps entries "
                                       "only from {} (snapshot {} minus {} catch-up entries): {}",
                                       match, first, leader.snapshot_index, catch_up_entries, what)
                         : fmt::format("the logs share no entry the leader still has (it keeps entries from {}): {}",
                                       first, what);
        if (p.drop_first) p.reason += fmt::format("; the follower's entries {}..{} are replaced", *p.drop_first, *p.drop_last);
        return p;
    }
    if (leader_last > match) {
        p.append_first = match + 1;
        p.append_last = leader_last;
        p.append_bytes = entry_bytes(leader, match + 1, leader_last);
    }
    const bool drops = p.drop_first.has_value();
    const bool appends = p.append_first.has_value();
    p.kind = drops && appends ? RaftSyncKind::TruncateAndAppend
             : drops          ? RaftSyncKind::Truncate
             : appends        ? RaftSyncKind::Append
                              : RaftSyncKind::UpToDate;
    switch (p.kind) {
    case RaftSyncKind::UpToDate:
        p.rule = "same-log";
        p.reason = fmt::format("both logs end at index {} term {}", match, p.match_term);
        break;
    case RaftSyncKind::Append:
        p.rule = "behind";
        p.reason = fmt::format("the follower's log is a prefix of the leader's (match at {}, term {}): the leader "
                               "appends {}..{}", match, p.match_term, *p.append_first, *p.append_last);
        break;
    case RaftSyncKind::Truncate:
        p.rule = "follower-longer";
        p.reason = fmt::format("the logs agree up to {} (term {}); the follower's entries {}..{} are not the "
                               "leader's and are dropped when the leader writes there",
                               match, p.match_term, *p.drop_first, *p.drop_last);
        break;
    case RaftSyncKind::TruncateAndAppend:
        p.rule = "conflict";
        p.reason = fmt::format("the logs agree up to {} (term {}); the follower's entries {}..{} conflict (terms "
                               "differ) and are truncated, then the leader appends {}..{}",
                               match, p.match_term, *p.drop_first, *p.drop_last, *p.append_first, *p.append_last);
        break;
    case RaftSyncKind::Snapshot: break;
    }
    return p;
}

}  // namespace zabra::etcd
