#include "libformat/zab/rollback.h"

#include "libformat/common/error.h"
#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::zab {

namespace fs = std::filesystem;

namespace {

std::int64_t zxid_of(const TxnLogRecord& r) { return decode_txn_header(r.payload).zxid; }

fs::path canonical_version2(const fs::path& dir) {
    std::error_code ec;
    const fs::path v2 = fs::weakly_canonical(find_version2(dir), ec);
    return ec ? find_version2(dir) : v2;
}

std::string file_names(const std::vector<DataFile>& files) {
    std::string out;
    for (std::size_t i = 0; i < files.size() && i < 3; ++i) out += (i ? ", " : "") + files[i].path.filename().string();
    return files.size() > 3 ? fmt::format("{} and {} more", out, files.size() - 3) : out;
}

}  // namespace

bool separate_log_dir(const ServerDirs& dirs) {
    return !dirs.log.empty() && canonical_version2(dirs.log) != canonical_version2(dirs.data);
}

std::optional<std::string> misplaced_files(const ServerDirs& dirs) {
    if (!separate_log_dir(dirs)) return std::nullopt;
    const DataDir data = list_data_dir(dirs.data), log = list_data_dir(dirs.log);
    std::string out;
    if (!log.snapshots.empty()) {
        out = fmt::format("the log dir {} holds snapshot files ({})", log.version2.string(), file_names(log.snapshots));
    }
    if (!data.logs.empty()) {
        out += fmt::format("{}the data dir {} holds log files ({})", out.empty() ? "" : " and ", data.version2.string(),
                           file_names(data.logs));
    }
    if (out.empty()) return std::nullopt;
    return out + ": ZooKeeper refuses to start on such dirs (\"Check if dataLogDir and dataDir configuration is "
                 "correct\"); move the stray files where they belong, or point zabra at the dirs the server is "
                 "really configured with";
}

DataDir list_server_dirs(const ServerDirs& dirs) {
    if (!separate_log_dir(dirs)) return list_data_dir(dirs.data);
    DataDir d = list_data_dir(dirs.data);
    DataDir log = list_data_dir(dirs.log);
    for (DataFile& f : d.logs) d.other.push_back(std::move(f.path));
    for (DataFile& f : log.snapshots) log.other.push_back(std::move(f.path));
    d.logs = std::move(log.logs);
    d.version2 = log.version2;
    d.other.insert(d.other.end(), log.other.begin(), log.other.end());
    std::sort(d.other.begin(), d.other.end());
    return d;
}

RollbackPlan plan_rollback(const ServerDirs& dirs, std::int64_t target) {
    const DataDir d = list_server_dirs(dirs);
    RollbackPlan p;
    p.target = target;
    p.plan.command = "rollback";
    p.plan.target = zxid_hex(target);
    std::optional<std::int64_t> lower;
    std::optional<std::size_t> holder;
    for (std::size_t i = 0; i < d.logs.size() && !holder; ++i) {
        MappedFile m(d.logs[i].path);
        TxnLogReader reader(m);
        TxnLogRecord rec;
        std::uint64_t removed = 0;
        std::optional<std::int64_t> first_after, last_after;
        bool found = false;
        std::uint64_t cut = 0;
        while (reader.next(rec)) {
            const std::int64_t z = zxid_of(rec);
            if (found) {
                ++removed;
                if (!first_after) first_after = z;
                last_after = z;
                continue;
            }
            if (z == target) {
                found = true;
                cut = rec.offset + rec.size();
            } else if (z < target && (!lower || z > *lower)) {
                lower = z;
            }
        }
        const LogEnd end = reader.end();
        if (!found) {
            if (end.kind == LogEndKind::Damaged && i + 1 < d.logs.size() && d.logs[i + 1].name.zxid <= target) continue;
            if (end.kind == LogEndKind::Damaged) {
                throw RollbackRefused(fmt::format("{} is damaged at offset {} (after zxid {}), before {}: {}; run zabra "
                                                  "verify and zabra repair first",
                                                  d.logs[i].path.string(), end.offset, lower ? zxid_hex(*lower) : "none",
                                                  zxid_hex(target), end.detail),
                                      lower);
            }
            continue;
        }
        holder = i;
        if (m.size() != cut) {
            p.plan.steps.push_back({FileStep::Kind::Cut, d.logs[i].path, cut,
                                    removed ? fmt::format("{} txns {}..{} and the preallocated tail", removed,
                                                          zxid_hex(*first_after), zxid_hex(*last_after))
                                            : "the preallocated tail (no txns)"});
        }
        p.txns_removed += removed;
        if (first_after) p.first_removed = first_after;
        if (last_after) p.last_removed = last_after;
    }
    if (!holder) {
        throw RollbackRefused(fmt::format("zxid {} is in no log of {}{}", zxid_hex(target), d.version2.string(),
                                          lower ? fmt::format("; the nearest lower one is {}", zxid_hex(*lower)) : ""),
                              lower);
    }
    for (std::size_t i = *holder + 1; i < d.logs.size(); ++i) {
        std::uint64_t n = 0;
        std::optional<std::int64_t> first, last;
        try {
            MappedFile m(d.logs[i].path);
            TxnLogReader reader(m);
            TxnLogRecord rec;
            while (reader.next(rec)) {
                const std::int64_t z = zxid_of(rec);
                ++n;
                if (!first) first = z;
                last = z;
            }
        } catch (const std::exception&) {
        }
        p.txns_removed += n;
        if (first && !p.first_removed) p.first_removed = first;
        if (last) p.last_removed = last;
        p.plan.steps.push_back({FileStep::Kind::MoveAside, d.logs[i].path, 0,
                                n ? fmt::format("{} txns {}..{}", n, zxid_hex(*first), zxid_hex(*last)) : "no txns"});
    }
    const bool snapshot_stays = std::any_of(d.snapshots.begin(), d.snapshots.end(),
                                            [&](const DataFile& s) { return s.name.zxid <= target; });
    if (!d.snapshots.empty() && !snapshot_stays) {
        throw RollbackRefused(fmt::format("every snapshot in {} is named after a zxid above {}: with them moved aside "
                                          "ZooKeeper would not start (\"No snapshot found, but there are log "
                                          "entries\"); restore the server from the quorum instead",
                                          d.snapshots.front().path.parent_path().string(), zxid_hex(target)),
                              lower);
    }
    for (const DataFile& s : d.snapshots) {
        if (s.name.zxid > target) {
            p.plan.steps.push_back({FileStep::Kind::MoveAside, s.path, 0,
                                    fmt::format("a snapshot of zxid {}, after the target: ZooKeeper would load it and "
                                                "bring the removed txns back", zxid_hex(s.name.zxid))});
        }
    }
    if (d.current_epoch && *d.current_epoch > zxid_epoch(target)) {
        p.notes.push_back(fmt::format("currentEpoch ({}) stays above the target's epoch ({}): epochs never go back",
                                      *d.current_epoch, zxid_epoch(target)));
    }
    return p;
}

RepairPlan plan_repair(const ServerDirs& dirs) {
    const DataDir d = list_server_dirs(dirs);
    RepairPlan p;
    p.plan.command = "repair";
    p.plan.target = d.version2.string();
    for (std::size_t i = 0; i < d.logs.size(); ++i) {
        const DataFile& f = d.logs[i];
        const bool newest = i + 1 == d.logs.size();
        MappedFile m(f.path);
        TxnLogReader reader(m);
        TxnLogRecord rec;
        std::optional<std::int64_t> last;
        while (reader.next(rec)) {
            try {
                last = zxid_of(rec);
            } catch (const FormatError&) {
            }
        }
        const LogEnd& end = reader.end();
        const bool headerless = reader.header_status() != HeaderStatus::Ok;
        if (end.kind == LogEndKind::Clean && !(newest && end.records == 0)) continue;
        if (newest && end.records == 0 && (headerless ? all_zero(m.bytes()) : end.kind == LogEndKind::Clean)) {
            p.plan.steps.push_back({FileStep::Kind::MoveAside, f.path, 0,
                                    headerless ? (m.size() ? "all zeros: a log whose creation a crash cut short"
                                                           : "0 bytes: ZooKeeper 3.5-3.9.2 cannot start on it")
                                               : "a header and no txns"});
            continue;
        }
        if (end.kind == LogEndKind::TornTail) {
            p.plan.steps.push_back({FileStep::Kind::Cut, f.path, end.offset,
                                    fmt::format("a torn last record after zxid {} ({})", last ? zxid_hex(*last) : "none",
                                                end.detail)});
            continue;
        }
        if (newest && end.nonzero_bytes_after == 0 && last) {
            // Only the damaged record itself is at stake (a torn write looks
            // like this): cutting it is the operator's call, made with the
            // quorum's state in hand, not repair's.
            p.unrepairable.push_back(fmt::format(
                "{}: the last record, after zxid {} at offset {}, is damaged ({}) and nothing follows it: it may be "
                "a torn write; if the quorum has the txn after {}, cut it with 'zabra rollback {} --to {}', else "
                "resync this server from the quorum; never restamp the checksum",
                f.path.string(), zxid_hex(*last), end.offset, end.detail, zxid_hex(*last), dirs.data.string(),
                zxid_hex(*last)));
            continue;
        }
        p.unrepairable.push_back(fmt::format(
            "{}: damaged at offset {} after {} records (last zxid {}): {}; {} non-zero bytes follow{}{}; cutting "
            "here would lose them: resync this server from the quorum instead (stop it, move its data dir aside, "
            "let the leader send a SNAP), and never restamp the checksum",
            f.path.string(), end.offset, end.records, last ? zxid_hex(*last) : "none", end.detail, end.nonzero_bytes_after,
            end.resume_offset ? fmt::format(", readable records resume at offset {}", *end.resume_offset) : "",
            newest ? "" : fmt::format(", and {} later log file(s)", d.logs.size() - i - 1)));
    }
    return p;
}

}  // namespace zabra::zab
