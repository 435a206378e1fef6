#include "libformat/zab/verify_log_set.h"

#include "libformat/zab/log_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>

namespace zabra::zab {

namespace {

// Ranges of zxids named in one finding; more are counted, not listed.
constexpr std::size_t kListed = 4;

struct ZxidRun {
    std::int64_t first = 0, last = 0;
    std::uint64_t count = 0;
};

// What one log holds past the next log's name.
struct PastName {
    std::uint64_t lost = 0;  // in no later log
    std::vector<ZxidRun> lost_runs;  // the first kListed runs
    std::uint64_t lost_runs_total = 0;
    std::int64_t lost_last = 0;
    std::uint64_t duplicated = 0;  // also in a later log
    std::uint64_t differing = 0;   // of those, not the same bytes there (length or checksum)
    std::int64_t dup_first = 0, dup_last = 0;
};

std::string range_text(std::int64_t a, std::int64_t b, std::uint64_t count) {
    return a == b ? zxid_hex(a) : fmt::format("{}..{} ({} txns)", zxid_hex(a), zxid_hex(b), count);
}

struct Member {
    std::size_t index;
    std::uint64_t crc;
    std::size_t size;
};

}  // namespace

std::vector<Finding> check_log_overlaps(const std::vector<DataFile>& logs, const std::vector<LogSpan>& spans,
                                        const std::vector<SnapshotOnDisk>& snapshots,
                                        const TxnLogReaderOptions& options) {
    std::vector<Finding> out;
    const std::size_t n = logs.size();
    bool any = false;
    for (std::size_t m = 0; m + 1 < n; ++m) any = any || (spans[m].last && *spans[m].last > logs[m + 1].name.zxid);
    if (!any) return out;

    // One pass over all logs in zxid order; records of one zxid come together.
    std::vector<PastName> past(n);
    std::vector<Member> group;
    std::int64_t group_zxid = 0;
    auto settle_group = [&] {
        if (group.empty()) return;
        const std::int64_t x = group_zxid;
        const Member& newest = *std::max_element(
            group.begin(), group.end(), [](const Member& a, const Member& b) { return a.index < b.index; });
        for (const Member& g : group) {
            if (g.index == newest.index || x <= logs[g.index + 1].name.zxid) continue;
            PastName& p = past[g.index];
            if (p.duplicated++ == 0) p.dup_first = x;
            p.dup_last = x;
            if (g.crc != newest.crc || g.size != newest.size) ++p.differing;
        }
        const std::size_t m = newest.index;
        if (m + 1 < n && x > logs[m + 1].name.zxid) {
            PastName& p = past[m];
            if (p.lost == 0 || x != p.lost_last + 1) {
                ++p.lost_runs_total;
                if (p.lost_runs.size() < kListed) p.lost_runs.push_back({x, x, 0});
            }
            if (p.lost_runs_total <= kListed) {
                p.lost_runs.back().last = x;
                ++p.lost_runs.back().count;
            }
            ++p.lost;
            p.lost_last = x;
        }
        group.clear();
    };
    LogMerge merge(logs, options);
    LogMerge::Event ev;
    while (merge.next(ev)) {
        if (!ev.source) continue;
        if (!group.empty() && ev.source->zxid != group_zxid) settle_group();
        group_zxid = ev.source->zxid;
        group.push_back({ev.source->index, ev.source->record.stored_crc, ev.source->record.payload.size()});
    }
    settle_group();

    // The first txn ZooKeeper reads when it starts at log j (the next log
    // with any, if j has none): a DIFF needs it at or below the learner's zxid.
    std::vector<std::optional<std::int64_t>> first_from(n + 1);
    for (std::size_t j = n; j-- > 0;) first_from[j] = spans[j].first ? spans[j].first : first_from[j + 1];

    for (std::size_t m = 0; m + 1 < n; ++m) {
        const PastName& p = past[m];
        if (p.lost == 0 && p.duplicated == 0) continue;
        const DataFile& older = logs[m];
        const DataFile& newer = logs[m + 1];
        const std::int64_t name = newer.name.zxid;
        std::string message = fmt::format(
            "{}'s name {} lies inside the zxids of the older {} ({}..{}): ZooKeeper, reading from a zxid above {}, "
            "starts at {} or a later log and skips {}",
            newer.path.filename().string(), zxid_hex(name), older.path.filename().string(),
            zxid_hex(*spans[m].first), zxid_hex(*spans[m].last), zxid_hex(name), newer.path.filename().string(),
            older.path.filename().string());
        Finding f;
        f.file = newer.path;
        f.code = "log-overlap";
        if (p.lost > 0) {
            f.severity = Severity::Error;
            f.zxid = p.lost_runs.front().first;
            std::string runs;
            for (const ZxidRun& r : p.lost_runs) runs += (runs.empty() ? "" : ", ") + range_text(r.first, r.last, r.count);
            if (p.lost_runs_total > p.lost_runs.size()) {
                runs += fmt::format(" and {} more range(s)", p.lost_runs_total - p.lost_runs.size());
            }
            message += fmt::format("; {} of its txns are in no later log and are lost that way: {}", p.lost, runs);
            // Restores: from snapshot S ZooKeeper reads from S+1, and skips
            // the older log once S reaches the name.
            std::vector<std::string> snaps;
            std::size_t snaps_total = 0;
            for (const SnapshotOnDisk& s : snapshots) {
                const std::int64_t z = s.file.name.zxid;
                if (z < name || z >= p.lost_last) continue;
                if (++snaps_total > kListed) continue;
                snaps.push_back(s.file.path.filename().string() + (s.loaded ? " (the one ZooKeeper loads now)" : ""));
            }
            std::string where;
            if (!snaps.empty()) {
                std::string list;
                for (const auto& s : snaps) list += (list.empty() ? "" : ", ") + s;
                if (snaps_total > snaps.size()) list += fmt::format(" and {} more", snaps_total - snaps.size());
                where = fmt::format("a restore from {}", list);
            } else {
                where = fmt::format("a restore from a snapshot in {}..{} (none here now)", zxid_hex(name),
                                    zxid_hex(p.lost_last - 1));
            }
            // Learners: a leader syncing one at P by DIFF starts at log
            // k(P), the newest named below P, and falls back to a full
            // snapshot (which loses nothing) if that log starts above P.
            std::vector<std::pair<std::int64_t, std::int64_t>> at;
            for (std::size_t j = m + 1; j < n; ++j) {
                if (!first_from[j]) break;
                const std::int64_t lo = std::max({logs[j].name.zxid + 1, *first_from[j], name + 1});
                const std::int64_t hi = std::min(j + 1 < n ? logs[j + 1].name.zxid : std::numeric_limits<std::int64_t>::max(),
                                                 p.lost_last - 1);
                if (lo > hi) continue;
                if (!at.empty() && at.back().second + 1 >= lo) {
                    at.back().second = std::max(at.back().second, hi);
                } else {
                    at.emplace_back(lo, hi);
                }
            }
            if (!at.empty()) {
                std::string list;
                for (std::size_t i = 0; i < at.size() && i < kListed; ++i) {
                    list += (list.empty() ? "" : ", ") + fmt::format("[{},{}]", zxid_hex(at[i].first), zxid_hex(at[i].second));
                }
                if (at.size() > kListed) list += fmt::format(" and {} more", at.size() - kListed);
                where += fmt::format(", or a learner at a zxid in {} synced by DIFF", list);
            }
            message += fmt::format("; they are lost (those above the start) by {}", where);
            f.action = fmt::format("do not restore or sync from there: if {} is a stray or misnamed copy move it out "
                                   "of version-2, else resync this server from the quorum",
                                   newer.path.filename().string());
        } else {
            f.severity = p.differing > 0 ? Severity::Error : Severity::Warning;
            f.zxid = p.dup_first;
            message += fmt::format(
                "; its {} txns there ({}) are all in later logs too, so none is lost wherever ZooKeeper starts, but "
                "from below {} it replays them twice (it logs an error and goes on)",
                p.duplicated, range_text(p.dup_first, p.dup_last, p.duplicated), zxid_hex(name));
            f.action = fmt::format("move the duplicate part aside: {} or the older log is a leftover copy",
                                   newer.path.filename().string());
        }
        if (p.differing > 0) {
            message += fmt::format("; {} txn(s) the later logs also hold differ there (length or checksum): which "
                                   "version ZooKeeper applies depends on where it starts reading (logs of two servers "
                                   "mixed?)",
                                   p.differing);
            f.severity = Severity::Error;
        }
        f.message = std::move(message);
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace zabra::zab
