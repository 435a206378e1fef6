#include "tools/cmd_rollback.h"

#include "libformat/common/file_plan.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/locate/data_location.h"
#include "libformat/etcd/wal_rollback.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/rollback.h"
#include "tools/common/format_util.h"
#include "tools/dump/txn_filter.h"
#include "tools/mutate/guard.h"
#include "tools/mutate/plan_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace zabra::tools {

namespace fs = std::filesystem;

namespace {

MutateOutcome run_etcd_rollback(const RollbackOptions& o, std::ostream& out, std::ostream& err) {
    if (!o.log_dir.empty() || !o.config.empty()) {
        err << "zabra rollback: --log-dir and --config are for ZooKeeper dirs; " << o.dir << " is an etcd data dir\n";
        return MutateOutcome::Usage;
    }
    std::uint64_t index = 0;
    try {
        const bool hex = o.to.starts_with("0x") || o.to.starts_with("0X");
        std::size_t used = 0;
        index = std::stoull(o.to.substr(hex ? 2 : 0), &used, hex ? 16 : 10);
        if (used != o.to.size() - (hex ? 2 : 0)) throw std::invalid_argument(o.to);
    } catch (const std::exception&) {
        err << "zabra rollback: --to " << o.to << ": not a raft index (decimal or 0x hex)\n";
        return MutateOutcome::Usage;
    }
    const etcd::MemberDir member = etcd::list_member_dir(o.dir);
    if (member.wal_dir.empty()) {
        err << "zabra rollback: " << o.dir << ": no WAL dir\n";
        return MutateOutcome::OperationalError;
    }
    // Backups go beside member/ (or beside the wal dir): etcd reads neither.
    // Backups go into the data dir (member/'s parent), or beside a --wal-dir kept elsewhere.
    const fs::path wal = fs::weakly_canonical(member.wal_dir);
    const fs::path root = wal.parent_path().filename() == "member" ? wal.parent_path().parent_path() : wal.parent_path();
    const MutateSwitches sw{o.yes, o.force, o.json};
    PlanReport report;
    if (auto stop = preflight({o.dir}, {root}, sw, report, out)) return *stop;
    etcd::WalRollbackPlan plan;
    try {
        plan = etcd::plan_wal_rollback(etcd::list_member_dir(o.dir), index, o.below_commit);
    } catch (const etcd::WalRollbackRefused& e) {
        report.refused = e.what();
        print_report(report, o.json, out);
        return MutateOutcome::Refused;
    }
    report.notes.push_back(fmt::format("{} entry records after index {} go; the commit index is {}", plan.entries_removed,
                                       index, plan.commit));
    report.notes.insert(report.notes.end(), plan.notes.begin(), plan.notes.end());
    return carry_out(plan.plan, root, sw, report, out);
}

}  // namespace

void setup_rollback(CLI::App& app, RollbackOptions& o) {
    auto* cmd = app.add_subcommand("rollback", "Cut a stopped ZooKeeper server's data back to a zxid, with a backup "
                                               "of every byte removed (dry run unless --yes)");
    cmd->footer(
        "The log holding ZXID is cut right after its record (as ZooKeeper's TRUNC does), later logs and the\n"
        "snapshots named after a later zxid are moved aside (ZooKeeper's TRUNC leaves those snapshots, and\n"
        "a restart loads them: ZOOKEEPER-4837). Without --yes only the plan is printed. With --yes every\n"
        "file touched is first copied (or moved) to DIR/zabra-backup-<time>-rollback/ with a journal; a run\n"
        "a crash interrupted is finished by the next one; --undo puts every byte back.\n"
        "A data dir in use by a live server (open files under it, a live zookeeper_server.pid, etcd's WAL\n"
        "locks) is refused unless --force.\n"
        "With the logs in a separate dataLogDir (--log-dir, or --config naming it), logs are cut and moved\n"
        "in the log dir and snapshots in the data dir: one plan, one backup dir (in the data dir), one undo;\n"
        "a server using either dir is refused. As ZooKeeper reads them, logs come only from the log dir and\n"
        "snapshots only from the data dir; a log dir holding snapshot files or a data dir holding log files\n"
        "is refused (ZooKeeper itself would not start on them).\n\n"
        "Exit status: 0 nothing to do (or undone), 1 done, 4 dry run with changes to make,\n"
        "8 operational error, 32 refused (a live server; ZXID in no log); 2 usage error.\n\n"
        "Examples:\n"
        "  zabra rollback /var/lib/zookeeper --to 0x500000a3\n"
        "  zabra rollback /var/lib/zookeeper --to 5:0xa3 --yes\n"
        "  zabra rollback /var/lib/zookeeper --log-dir /var/lib/zookeeper-txnlog --to 0x500000a3\n"
        "  zabra rollback --config /etc/zookeeper/conf/zoo.cfg --to 0x500000a3 --yes\n"
        "  zabra rollback --undo /var/lib/zookeeper/zabra-backup-20261126T120000Z-rollback\n"
        "For an etcd data dir, ZXID is a raft index: the segment holding that entry is cut right after it,\n"
        "later segments and .snap files of later indexes are moved aside (backup beside member/); an index\n"
        "below the HardState commit index is refused unless --below-commit.\n"
        "  zabra rollback /var/lib/etcd --to 12345\n");
    cmd->add_option("DIR", o.dir, "The server's data dir (dataDir or its version-2); may be left out with --config");
    cmd->add_option("--log-dir", o.log_dir,
                    "ZooKeeper: the server's dataLogDir (or its version-2), when its txn logs are not in DIR")
        ->option_text("LOG_DIR");
    cmd->add_option("--config", o.config,
                    "ZooKeeper: read dataDir and dataLogDir from this zoo.cfg (DIR and --log-dir, if given, must "
                    "name the same dirs)")
        ->option_text("ZOO_CFG");
    cmd->add_option("--to", o.to, "The last zxid to keep (0x hex, decimal, or epoch:counter)")->option_text("ZXID");
    cmd->add_option("--undo", o.undo, "Restore what a rollback backed up in BACKUP_DIR, byte for byte")
        ->option_text("BACKUP_DIR");
    cmd->add_flag("-y,--yes", o.yes, "Apply the plan (the default is a dry run)");
    cmd->add_flag("--force", o.force, "Go on although a server seems to be using the dir");
    cmd->add_flag("--json", o.json, "Print the plan and what was done as one JSON object");
    cmd->add_flag("--below-commit", o.below_commit,
                  "etcd: allow an index below the HardState commit index (raft then panics on this member: "
                  "replace it in the cluster instead of restarting it)");
    cmd->parse_complete_callback([&o] {
        if (o.undo.empty() == ((o.dir.empty() && o.config.empty()) || o.to.empty())) {
            throw CLI::ValidationError("give DIR (or --config ZOO_CFG) --to ZXID, or --undo BACKUP_DIR");
        }
        if (!o.undo.empty() && (!o.log_dir.empty() || !o.config.empty())) {
            throw CLI::ValidationError("--undo takes no --log-dir or --config: the backup's journal names every file");
        }
        if (!o.log_dir.empty() && o.dir.empty() && o.config.empty()) {
            throw CLI::ValidationError("--log-dir needs DIR, the data dir");
        }
    });
}

MutateOutcome run_rollback(const RollbackOptions& o, std::ostream& out, std::ostream& err) {
    try {
        if (!o.undo.empty()) {
            std::error_code ec;
            const fs::path backup = fs::weakly_canonical(fs::path(o.undo), ec);  // "dir/" too
            const JournalState st = read_journal_state(backup);
            auto say = [&](const char* state, const std::string& text) {
                if (o.json) {
                    out << fmt::format("{{\"command\":\"undo\",\"backup_dir\":{},\"of\":{},\"state\":\"{}\"}}\n",
                                       json_string(backup.string()), json_string(st.command + " " + st.target), state);
                } else {
                    out << text << '\n';
                }
            };
            if (st.state == "undone") {
                say("already-undone", "already undone: " + backup.string());
                return MutateOutcome::NothingToDo;
            }
            // Every dir the journal touched (a dataDir and its dataLogDir), and the backup's.
            std::vector<fs::path> dirs{backup.parent_path()};
            for (const fs::path& f : st.files) {
                if (std::find(dirs.begin(), dirs.end(), f.parent_path()) == dirs.end()) dirs.push_back(f.parent_path());
            }
            const auto live = live_signs(dirs);
            if (!live.empty() && !o.force) {
                for (const auto& l : live) err << "zabra rollback: live: " << l << '\n';
                err << "zabra rollback: refusing to restore into a dir a server is using (--force overrides)\n";
                return MutateOutcome::Refused;
            }
            if (!o.yes) {
                say("dry-run", fmt::format("would restore every file that {} ({} {}) changed; --yes does it",
                                           backup.string(), st.command, st.target));
                return MutateOutcome::ChangesNeeded;
            }
            undo_file_plan(backup);
            say("undone", "restored: every file is back to its original bytes (SHA-1 checked)");
            return MutateOutcome::Applied;
        }
        if (!o.dir.empty()) {
            const locate::DataLocation where = locate::locate_data(o.dir);
            if (!where.is_dir) {
                err << "zabra rollback: " << o.dir << " is " << where.describe() << "; give the server's data dir\n";
                return MutateOutcome::Usage;
            }
            if (where.system == locate::DataSystem::Etcd) return run_etcd_rollback(o, out, err);
        }
        const std::optional<std::int64_t> target = parse_zxid(o.to);
        if (!target) {
            err << "zabra rollback: --to " << o.to << ": not a zxid\n";
            return MutateOutcome::Usage;
        }
        zab::ServerDirs dirs;
        try {
            dirs = resolve_server_dirs({o.dir, o.log_dir, o.config});
        } catch (const UsageError& e) {
            err << "zabra rollback: " << e.what() << '\n';
            return MutateOutcome::Usage;
        }
        const MutateScope scope = scope_of(dirs);
        const MutateSwitches sw{o.yes, o.force, o.json};
        PlanReport report;
        if (auto stop = preflight(scope.dirs, scope.roots, sw, report, out)) return *stop;
        zab::RollbackPlan plan;
        try {
            if (auto misplaced = zab::misplaced_files(dirs)) throw zab::RollbackRefused(*misplaced, std::nullopt);
            plan = zab::plan_rollback(dirs, *target);
        } catch (const zab::RollbackRefused& e) {
            report.refused = e.what();
            print_report(report, o.json, out);
            return MutateOutcome::Refused;
        }
        if (plan.txns_removed) {
            report.notes.push_back(fmt::format("{} txns removed: 0x{:x}..0x{:x}", plan.txns_removed,
                                               static_cast<std::uint64_t>(*plan.first_removed),
                                               static_cast<std::uint64_t>(*plan.last_removed)));
        }
        report.notes.insert(report.notes.end(), plan.notes.begin(), plan.notes.end());
        return carry_out(plan.plan, scope.roots.front(), sw, report, out);
    } catch (const locate::NotDataError& e) {
        err << "zabra rollback: " << e.what() << '\n';
        return MutateOutcome::Usage;
    } catch (const std::exception& e) {
        err << "zabra rollback: " << e.what() << '\n';
        return MutateOutcome::OperationalError;
    }
}

}  // namespace zabra::tools
