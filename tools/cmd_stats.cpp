#include "tools/cmd_stats.h"

#include "libformat/common/mapped_file.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/locate/data_location.h"
#include "libformat/etcd/wal_stats.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/stats.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "tools/stats/stats_printer.h"

#include <fmt/format.h>

#include <filesystem>

namespace zabra::tools {

namespace fs = std::filesystem;

void setup_stats(CLI::App& app, StatsOptions& o) {
    auto* cmd = app.add_subcommand("stats", "Summarise logs and snapshots: txns by type, session, epoch and path; "
                                            "znodes per subtree");
    cmd->footer(
        "For a data dir, both its logs (all of them, together) and its newest snapshot are summarised;\n"
        "--logs or --snapshot picks one. Files are summarised one by one.\n\n"
        "Examples:\n"
        "  zabra stats /var/lib/zookeeper\n"
        "  zabra stats --depth 2 --top 20 --snapshot /var/lib/zookeeper\n"
        "  zabra stats --json version-2/log.100000001 | jq '.by_type'\n"
        "For etcd data (a data, member or wal dir of any name, or a *.wal): entries by request, term, user and key prefix\n"
        "(--depth), records by kind, the last HardState.\n"
        "  zabra stats /var/lib/etcd\n");
    cmd->add_option("PATH", o.paths, "Data dir, log or snapshot")->required();
    cmd->add_option("-d,--depth", o.depth, "Path depth for the per-path and per-subtree tables (1)")
        ->check(CLI::Range(0, 64))
        ->option_text("N");
    cmd->add_option("--top", o.top, "Rows per table in text output (10)")->check(CLI::Range(1, 100000))->option_text("N");
    cmd->add_flag("--json", o.json, "One JSON object per summary, every row included");
    cmd->add_flag("--logs", o.logs_only, "For a data dir: only the logs");
    cmd->add_flag("--snapshot", o.snapshot_only, "For a data dir: only the newest snapshot");
    cmd->parse_complete_callback([&o] {
        if (o.logs_only && o.snapshot_only) throw CLI::ValidationError("--logs and --snapshot exclude each other");
    });
}

namespace {

// Adds a log's txns; false if the log is damaged (what came before still counts).
bool add_log(const fs::path& path, zab::LogStats& s) {
    MappedFile m(path);
    zab::TxnLogReader r(m);
    zab::TxnLogRecord rec;
    bool ok = true;
    while (r.next(rec)) {
        try {
            s.add(zab::decode_txn(rec.payload), rec.payload.size());
        } catch (const FormatError&) {
            ok = false;
        }
    }
    return ok && r.end().kind != zab::LogEndKind::Damaged;
}

bool snapshot_stats(const fs::path& path, zab::SnapshotStats& s) {
    struct Visitor final : zab::SnapshotVisitor {
        zab::SnapshotStats& s;
        explicit Visitor(zab::SnapshotStats& ss) : s(ss) {}
        void on_session(const zab::SnapshotSession&) override { ++s.sessions; }
        void on_acl(const zab::SnapshotAcl&) override { ++s.acls; }
        void on_node(const zab::SnapshotNode& n) override { s.add(n); }
    } v(s);
    MappedFile m(path);
    zab::SnapshotReadOptions ro;
    ro.on_consumed = [&m](std::uint64_t c) { m.release_before(c); };
    return zab::read_snapshot(m.bytes(), v, ro).ok();
}

}  // namespace

Outcome run_stats(const StatsOptions& o, std::ostream& out, std::ostream& err) {
    auto printer = o.json ? make_json_stats_printer(out) : make_text_stats_printer(out);
    Outcome outcome = Outcome::Ok;
    auto damage = [&] {
        if (outcome == Outcome::Ok) outcome = Outcome::DataDamage;
    };
    for (const auto& p : o.paths) {
        try {
            const locate::DataLocation where = locate::locate_data(p);
            if (where.system == locate::DataSystem::Etcd && !where.is_dir &&
                !fs::path(p).filename().string().ends_with(".wal")) {
                err << fmt::format("zabra stats: {}: only etcd WAL segments and member dirs are summarised (zabra dump "
                                   "prints .snap files)\n", p);
                outcome = worst(outcome, Outcome::BadInput);
                continue;
            }
            if (where.system == locate::DataSystem::Etcd) {
                const std::vector<etcd::SegmentFile> segments =
                    where.is_dir ? etcd::list_member_dir(p).segments
                                 : std::vector<etcd::SegmentFile>{{p, etcd::parse_segment_name(fs::path(p).filename().string())
                                                                          .value_or(etcd::SegmentName{}),
                                                                   0}};
                const etcd::WalStats s = etcd::wal_stats(segments, o.depth);
                if (s.damaged) damage();
                printer->etcd_wal(fmt::format("{} ({} segments)", p, segments.size()), s, o.top);
                continue;
            }
            if (where.is_dir) {
                const zab::DataDir d = zab::list_data_dir(p);
                if (!o.snapshot_only) {
                    zab::LogStats s;
                    s.depth = o.depth;
                    for (const auto& f : d.logs) {
                        if (!add_log(f.path, s)) damage();
                    }
                    printer->logs(fmt::format("{} ({} logs)", d.version2.string(), d.logs.size()), s, o.top);
                }
                if (!o.logs_only && !d.snapshots.empty()) {
                    zab::SnapshotStats s;
                    s.depth = o.depth;
                    if (!snapshot_stats(d.snapshots.back().path, s)) damage();
                    printer->snapshot(d.snapshots.back().path.string(), s, o.top);
                }
                continue;
            }
            if (where.zookeeper_file == zab::FileKind::TxnLog) {
                zab::LogStats s;
                s.depth = o.depth;
                if (!add_log(p, s)) damage();
                printer->logs(p, s, o.top);
            } else {
                zab::SnapshotStats s;
                s.depth = o.depth;
                if (!snapshot_stats(p, s)) damage();
                printer->snapshot(p, s, o.top);
            }
        } catch (const locate::NotDataError& e) {
            err << fmt::format("zabra stats: {}\n", e.what());
            outcome = worst(outcome, Outcome::Usage);
        } catch (const std::exception& e) {
            err << fmt::format("zabra stats: {}\n", e.what());
            outcome = worst(outcome, Outcome::BadInput);
        }
    }
    printer->finish();
    out.flush();
    return outcome;
}

}  // namespace zabra::tools
