#include "tools/cmd_plan.h"

#include "libformat/etcd/member_dir.h"
#include "libformat/locate/data_location.h"
#include "tools/plan/plan_printer.h"
#include "tools/plan/raft_plan.h"

#include "libformat/common/json_reader.h"
#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "tools/common/format_util.h"
#include "tools/dump/txn_filter.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <climits>
#include <fstream>
#include <sstream>

namespace zabra::tools {

namespace fs = std::filesystem;

namespace {


// "0x…" (0xffffffffffffffff is -1), decimal, -1, or epoch:counter.
std::optional<std::int64_t> zxid_arg(const std::string& text) {
    if (auto z = zab::parse_plan_zxid(text)) return z;
    return parse_zxid(text);
}

zab::LeaderState state_from_json(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("{}: cannot open", file));
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return zab::leader_state_from_json(parse_json(ss.str()));
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("{}: {}", file, e.what()));
    }
}

// Payload bytes of txns, by zxid (sorted, for binary search): what a DIFF
// sends. 12 bytes a txn: a plan over millions of txns stays small.
class PayloadSizes {
public:
    void add(const std::vector<std::int64_t>& zxids, const std::vector<std::uint32_t>& bytes, std::size_t from) {
        for (std::size_t i = from; i < zxids.size(); ++i) m_sizes.emplace_back(zxids[i], bytes[i]);
    }
    void seal() {
        std::sort(m_sizes.begin(), m_sizes.end());
        m_sizes.erase(std::unique(m_sizes.begin(), m_sizes.end(),
                                  [](const auto& a, const auto& b) { return a.first == b.first; }),
                      m_sizes.end());
    }
    std::optional<std::uint64_t> of(std::int64_t zxid) const {
        auto it = std::lower_bound(m_sizes.begin(), m_sizes.end(), std::pair<std::int64_t, std::uint32_t>{zxid, 0});
        if (it == m_sizes.end() || it->first != zxid) return std::nullopt;
        return it->second;
    }

private:
    std::vector<std::pair<std::int64_t, std::uint32_t>> m_sizes;
};

// The zxids of the txns in `files`, in order (a torn or damaged tail ends a
// file), with their payload sizes.
std::vector<std::int64_t> log_zxids(const std::vector<zab::DataFile>& files, std::vector<std::uint32_t>* bytes = nullptr) {
    std::vector<std::int64_t> out;
    for (const auto& f : files) {
        MappedFile m(f.path);
        zab::TxnLogReader r(m);
        zab::TxnLogRecord rec;
        while (r.next(rec)) {
            if (rec.payload.size() < zab::kTxnHeaderSize) continue;
            out.push_back(zab::decode_txn_header(rec.payload).zxid);
            if (bytes != nullptr) bytes->push_back(static_cast<std::uint32_t>(rec.payload.size()));
        }
    }
    return out;
}

// FileTxnIterator's choice: every log from the newest back to the first one
// whose name-zxid is below `peer` (or all when none is).
std::vector<zab::DataFile> logs_from(const std::vector<zab::DataFile>& logs, std::int64_t peer) {
    std::size_t first = 0;
    for (std::size_t i = logs.size(); i-- > 0;) {
        if (logs[i].name.zxid < peer) {
            first = i;
            break;
        }
    }
    return {logs.begin() + static_cast<std::ptrdiff_t>(first), logs.end()};
}

struct DirState {
    zab::DataDir dir;
    std::optional<zab::DataFile> newest_snapshot;
};

DirState read_dir(const std::string& path) {
    DirState d{zab::list_data_dir(path), std::nullopt};
    if (!d.dir.snapshots.empty()) d.newest_snapshot = d.dir.snapshots.back();
    return d;
}

// The leader's state as ZooKeeper rebuilds it at load, plus its new epoch.
zab::LeaderState leader_from_dir(const PlanOptions& o, std::int64_t peer, std::string& notes, PayloadSizes& sizes,
                                 std::uint64_t& snapshot_bytes) {
    const DirState d = read_dir(o.leader_dir);
    zab::LeaderState s;
    // Committed log: the last commitLogCount + 1 txns (3.8.0 trims before it
    // adds), back to the last break in the zxid sequence. Snapshots do not
    // bound it: the one ZooKeeper writes when it starts leading, and the
    // periodic ones, are not loads; a SNAP sync leaves a gap in the logs, and
    // the committed log starts after it. (Checked against real ensembles by
    // scripts/plan-vs-ensemble.)
    const auto keep = static_cast<std::size_t>(std::max(o.commit_log_count, 500)) + 1;
    std::vector<std::int64_t> after;
    for (std::size_t i = d.dir.logs.size(); i-- > 0 && after.size() < keep;) {
        std::vector<std::uint32_t> bytes;
        std::vector<std::int64_t> zxids = log_zxids({d.dir.logs[i]}, &bytes);
        const std::size_t wanted = std::min(zxids.size(), keep - after.size());
        sizes.add(zxids, bytes, zxids.size() - wanted);
        after.insert(after.begin(), zxids.end() - static_cast<std::ptrdiff_t>(wanted), zxids.end());
    }
    for (std::size_t i = after.size(); i-- > 1;) {
        if (!zab::zxid_follows(after[i - 1], after[i])) {
            notes += fmt::format("leader's logs break between {} and {}: its committed log starts after\n",
                                 zab::zxid_hex(after[i - 1]), zab::zxid_hex(after[i]));
            after.erase(after.begin(), after.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
    }
    const std::int64_t snap_zxid = d.newest_snapshot ? d.newest_snapshot->name.zxid : 0;
    snapshot_bytes = d.newest_snapshot ? d.newest_snapshot->size : 0;
    s.committed = after;
    s.last_processed = after.empty() ? snap_zxid : std::max(snap_zxid, after.back());
    if (d.dir.current_epoch && *d.dir.current_epoch > zab::zxid_epoch(s.last_processed)) {
        // A leader that started a newer epoch sets lastProcessedZxid to it.
        s.last_processed = static_cast<std::int64_t>(static_cast<std::uint64_t>(*d.dir.current_epoch) << 32);
        notes += fmt::format("leader's currentEpoch {} is newer than its last txn: lastProcessedZxid {}\n",
                             *d.dir.current_epoch, zab::zxid_hex(s.last_processed));
    }
    s.force_snap = o.force_snap_sync;
    s.txnlog_sync = o.snapshot_size_factor >= 0;
    // The on-disk log matters only to a learner before the committed log.
    const std::int64_t min = s.committed.empty() ? s.last_processed : s.committed.front();
    if (s.txnlog_sync && peer < min) {
        const std::vector<zab::DataFile> files = logs_from(d.dir.logs, peer);
        // ZKDatabase.calculateTxnLogSizeLimit; FileTxnIterator.getStorageSize
        // (the starting file itself is not counted).
        const double factor = o.snapshot_size_factor > 1 ? 0.33 : o.snapshot_size_factor;
        const auto limit = static_cast<std::uint64_t>(
            d.newest_snapshot ? static_cast<double>(d.newest_snapshot->size) * factor : 0.0);
        std::uint64_t size = 0;
        for (std::size_t i = 1; i < files.size(); ++i) size += files[i].size;
        s.txnlog_over_limit = limit > 0 && size > limit;
        if (!s.txnlog_over_limit && !files.empty()) {
            std::vector<std::uint32_t> bytes;
            s.txnlog = log_zxids(files, &bytes);
            sizes.add(*s.txnlog, bytes, 0);
        }
        notes += fmt::format("on-disk log from {}: {} file(s), {} bytes (limit {})\n",
                             files.empty() ? "-" : files.front().path.filename().string(), files.size(), size,
                             limit == 0 ? std::string("none") : std::to_string(limit));
    }
    sizes.seal();
    return s;
}

// The zxid a learner reports: its last logged txn, or its snapshot's.
std::int64_t learner_zxid(const std::string& dir, std::string& notes) {
    const DirState d = read_dir(dir);
    std::int64_t z = d.newest_snapshot ? d.newest_snapshot->name.zxid : -1;
    if (!d.dir.logs.empty()) {
        const std::vector<std::int64_t> last = log_zxids({d.dir.logs.back()});
        if (!last.empty()) z = std::max(z, last.back());
    }
    notes += fmt::format("learner's last zxid: {}\n", z == -1 ? std::string("-1 (empty database)") : zab::zxid_hex(z));
    return z;
}

// Wrong or missing arguments, or dirs that hold no data to plan from: a
// plan computed from them would be a confident answer about nothing.
class PlanUsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Which system the given dirs hold: both the same, each a dir with data in it.
std::optional<locate::DataSystem> plan_system(const PlanOptions& o) {
    std::optional<locate::DataLocation> leader, learner;
    if (!o.leader_dir.empty()) leader = locate::locate_data(o.leader_dir);
    if (!o.learner_dir.empty()) learner = locate::locate_data(o.learner_dir);
    for (const auto* side : {&leader, &learner}) {
        if (*side && !(*side)->is_dir) {
            throw PlanUsageError(fmt::format("{} is {}; --leader and --learner take data dirs",
                                             (*side)->path.string(), (*side)->describe()));
        }
    }
    if (leader && learner && leader->system != learner->system) {
        throw PlanUsageError(fmt::format("the leader's {} is {} and the learner's {} is {}: one system's member "
                                         "cannot sync another's", o.leader_dir, leader->describe(), o.learner_dir,
                                         learner->describe()));
    }
    for (const auto* side : {&leader, &learner}) {
        if (!*side) continue;
        const std::string role = side == &leader ? "leader" : "learner";
        if ((*side)->system == locate::DataSystem::Etcd) {
            const etcd::MemberDir m = etcd::list_member_dir((*side)->path);
            if (m.segments.empty() && m.snaps.empty()) {
                throw PlanUsageError(fmt::format("the {}'s {} ({}) holds no WAL segment and no .snap file: nothing to "
                                                 "plan from", role, (*side)->path.string(), (*side)->describe()));
            }
        } else {
            const zab::DataDir d = zab::list_data_dir((*side)->path);
            if (d.logs.empty() && d.snapshots.empty()) {
                throw PlanUsageError(fmt::format(
                    "the {}'s {} holds no txn log and no snapshot: nothing to plan from{}", role, d.version2.string(),
                    role == "learner" ? " (for a learner that starts empty, give --peer-zxid -1 instead)" : ""));
            }
        }
    }
    if (leader) return leader->system;
    if (learner) return learner->system;
    return std::nullopt;
}


}  // namespace

void setup_plan(CLI::App& app, PlanOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "plan", "Predict how a ZooKeeper 3.8 leader will sync a learner: DIFF, TRUNC, TRUNC+DIFF or SNAP (or an etcd "
                "leader a follower)");
    cmd->footer(
        "For two etcd member dirs (--leader and --learner), the raft leader's catch-up of the follower:\n"
        "UP_TO_DATE, APPEND, TRUNCATE, TRUNCATE+APPEND or SNAPSHOT, with the match index, the follower's\n"
        "entries dropped and the entries sent; exit status as for ZooKeeper's kinds (0, 10, 11, 12, 13).\n"
        "etcd's SNAPSHOT is a merged snapshot at the leader's applied index (estimated from its WAL's commit)\n"
        "holding its db (about snap/db's size, unknown without one), then only the entries after that index.\n"
        "A leader restarted since its newest .snap keeps no entries before it: plan it with --catch-up-entries 0.\n\n"
        "Examples:\n"
        "  zabra plan --leader /var/lib/zookeeper --learner /backup/zk3\n"
        "  zabra plan --leader-state what-if.json --peer-zxid 0x100000005 --json\n"
        "  zabra plan --leader /var/lib/etcd-1 --learner /var/lib/etcd-3\n");
    cmd->add_option("--leader", o.leader_dir, "The leader's data dir (ZooKeeper dataDir or its version-2, or an etcd "
                                              "data or member dir)")
        ->type_name("DIR");
    cmd->add_option("--learner,--follower", o.learner_dir,
                    "The learner's data dir: its zxid is its last logged txn (etcd: the follower's data dir)")
        ->type_name("DIR");
    cmd->add_option("--catch-up-entries", o.catch_up_entries,
                    "etcd: entries a running leader keeps before its newest snapshot (SnapshotCatchUpEntries); 0 for a "
                    "leader restarted since it")
        ->capture_default_str();
    cmd->add_option("--peer-zxid", o.peer_zxid, "The learner's zxid instead (0x hex, decimal, epoch:counter, -1)")
        ->type_name("ZXID");
    cmd->add_option("--leader-state", o.leader_state,
                    "What-if: the leader as JSON {\"committed\": [...], \"txnlog\": [...]|null, "
                    "\"last_processed\": \"0x..\", \"force_snap\": false, \"txnlog_sync\": true}")
        ->type_name("FILE");
    cmd->add_option("--commit-log-count", o.commit_log_count, "zookeeper.commitLogCount (at least 500)")
        ->capture_default_str();
    cmd->add_option("--snapshot-size-factor", o.snapshot_size_factor,
                    "zookeeper.snapshotSizeFactor; negative disables txn-log sync")
        ->capture_default_str();
    cmd->add_flag("--force-snap-sync", o.force_snap_sync, "zookeeper.forceSnapshotSync");
    cmd->add_flag("--json", o.json, "One JSON object: kind, trunc_to, diff_first, diff_last, count, reason, ...");
}

PlanOutcome run_plan(const PlanOptions& o, std::ostream& out, std::ostream& err) {
    PlanOutcome result;
    const std::unique_ptr<PlanPrinter> printer = o.json ? make_json_plan_printer(out) : make_text_plan_printer(out);
    try {
        const std::optional<locate::DataSystem> system = plan_system(o);
        if (system == locate::DataSystem::Etcd) {
            if (o.learner_dir.empty() || !o.peer_zxid.empty() || !o.leader_state.empty()) {
                throw PlanUsageError("for etcd, give the leader's and the follower's data dirs as --leader DIR --learner DIR");
            }
            const RaftPlanReport report = raft_plan({o.leader_dir, o.learner_dir, o.catch_up_entries});
            printer->raft(report);
            // The same exit codes as ZooKeeper's kinds of sync.
            switch (report.plan.kind) {
            case etcd::RaftSyncKind::UpToDate: result.kind = zab::SyncKind::EmptyDiff; break;
            case etcd::RaftSyncKind::Append: result.kind = zab::SyncKind::Diff; break;
            case etcd::RaftSyncKind::Truncate: result.kind = zab::SyncKind::Trunc; break;
            case etcd::RaftSyncKind::TruncateAndAppend: result.kind = zab::SyncKind::TruncDiff; break;
            case etcd::RaftSyncKind::Snapshot: result.kind = zab::SyncKind::Snap; break;
            }
            return result;
        }
        if (o.leader_dir.empty() == o.leader_state.empty()) {
            throw PlanUsageError("give the leader as --leader DIR or --leader-state FILE");
        }
        if (o.learner_dir.empty() == o.peer_zxid.empty()) {
            throw PlanUsageError("give the learner as --learner DIR or --peer-zxid ZXID");
        }
        ZabPlanReport r;
        if (!o.peer_zxid.empty()) {
            const auto z = zxid_arg(o.peer_zxid);
            if (!z) throw std::runtime_error("--peer-zxid " + o.peer_zxid + ": not a zxid");
            r.peer_zxid = *z;
        } else {
            r.peer_zxid = learner_zxid(o.learner_dir, r.notes);
        }
        PayloadSizes sizes;
        std::uint64_t snapshot_bytes = 0;
        const zab::LeaderState leader = o.leader_state.empty()
                                            ? leader_from_dir(o, r.peer_zxid, r.notes, sizes, snapshot_bytes)
                                            : state_from_json(o.leader_state);
        r.plan = zab::plan_sync(leader, r.peer_zxid);
        // Bytes to send, known from a data dir: the proposals' txn payloads
        // (each also goes with a small QuorumPacket header and a COMMIT), or
        // for a SNAP about the size of the newest snapshot (the leader
        // serialises its tree afresh, uncompressed).
        if (o.leader_state.empty()) {
            r.bytes = 0;
            if (r.plan.kind == zab::SyncKind::Snap) {
                r.bytes = snapshot_bytes;
            } else {
                for (const std::int64_t z : r.plan.proposals) {
                    if (const auto n = sizes.of(z)) *r.bytes += *n;
                }
            }
        }
        if (!o.learner_dir.empty() && r.plan.trunc_to && !o.json) {
            // FileTxnLog.truncate on the learner's own files.
            const zab::DataDir ld = zab::list_data_dir(o.learner_dir);
            const std::vector<zab::DataFile> from = logs_from(ld.logs, *r.plan.trunc_to);
            if (!from.empty()) {
                r.cut_log = from.front().path.filename().string();
                for (std::size_t i = 1; i < from.size(); ++i) r.deleted_logs.push_back(from[i].path.filename().string());
            }
            for (const auto& snap : ld.snapshots) {
                if (snap.name.zxid > *r.plan.trunc_to) r.newer_snapshots.push_back(snap.path.filename().string());
            }
        }
        result.kind = r.plan.kind;
        printer->zab(r);
    } catch (const PlanUsageError& e) {
        err << "zabra plan: " << e.what() << '\n';
        result.usage = true;
    } catch (const locate::NotDataError& e) {
        err << "zabra plan: " << e.what() << '\n';
        result.usage = true;
    } catch (const std::exception& e) {
        err << "zabra plan: " << e.what() << '\n';
        result.bad_input = true;
    }
    return result;
}

}  // namespace zabra::tools
