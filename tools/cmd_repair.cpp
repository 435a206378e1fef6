#include "tools/cmd_repair.h"

#include "libformat/locate/data_location.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/rollback.h"
#include "tools/mutate/guard.h"
#include "tools/mutate/plan_output.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace fs = std::filesystem;

void setup_repair(CLI::App& app, RepairOptions& o) {
    auto* cmd = app.add_subcommand("repair", "Repair what is safe to repair in a stopped ZooKeeper server's data: a "
                                             "torn tail, an empty or header-only newest log (dry run unless --yes)");
    cmd->footer(
        "A torn last record is cut after the last good one; a newest log that is empty, all zeros or only a\n"
        "header is moved aside. Anything else (damage with data after it, a checksum mismatch before the\n"
        "end) is reported with what cutting would lose, and left alone: resync that server from the quorum.\n"
        "Checksums are never restamped. Backups, journal, --undo and the live-server check are as for\n"
        "zabra rollback (undo with zabra rollback --undo BACKUP_DIR).\n"
        "With the logs in a separate dataLogDir, give it with --log-dir (or give --config zoo.cfg): only\n"
        "its logs are repaired, the backup dir goes in the data dir, and a server using either dir is\n"
        "refused. A log dir holding snapshot files or a data dir holding log files is refused (ZooKeeper\n"
        "itself would not start on them).\n\n"
        "Exit status: 0 nothing to repair, 1 repaired, 4 a dry run with repairs to make, or damage left\n"
        "unrepaired, 8 operational error, 32 refused (a live server, misplaced files); 2 usage error.\n\n"
        "Examples:\n"
        "  zabra repair /var/lib/zookeeper\n"
        "  zabra repair /var/lib/zookeeper --log-dir /var/lib/zookeeper-txnlog --yes\n"
        "  zabra repair --config /etc/zookeeper/conf/zoo.cfg --yes\n");
    cmd->add_option("DIR", o.dir, "The server's data dir (dataDir or its version-2); may be left out with --config");
    cmd->add_option("--log-dir", o.log_dir, "The server's dataLogDir (or its version-2), when its txn logs are not in DIR")
        ->option_text("LOG_DIR");
    cmd->add_option("--config", o.config,
                    "Read dataDir and dataLogDir from this zoo.cfg (DIR and --log-dir, if given, must name the same "
                    "dirs)")
        ->option_text("ZOO_CFG");
    cmd->add_flag("-y,--yes", o.yes, "Apply the repairs (the default is a dry run)");
    cmd->add_flag("--force", o.force, "Go on although a server seems to be using the dir");
    cmd->add_flag("--json", o.json, "Print the plan and what was done as one JSON object");
    cmd->parse_complete_callback([&o] {
        if (o.dir.empty() && o.config.empty()) throw CLI::ValidationError("give DIR, or --config ZOO_CFG");
    });
}

MutateOutcome run_repair(const RepairOptions& o, std::ostream& out, std::ostream& err) {
    try {
        if (!o.dir.empty()) {
            const locate::DataLocation where = locate::locate_data(o.dir);
            if (where.system != locate::DataSystem::ZooKeeper || !where.is_dir) {
                err << "zabra repair: " << o.dir << " is " << where.describe()
                    << "; repair takes a ZooKeeper data dir (etcd cuts its own torn WAL tail at start)\n";
                return MutateOutcome::Usage;
            }
        }
        zab::ServerDirs dirs;
        try {
            dirs = resolve_server_dirs({o.dir, o.log_dir, o.config});
        } catch (const UsageError& e) {
            err << "zabra repair: " << e.what() << '\n';
            return MutateOutcome::Usage;
        }
        const MutateScope scope = scope_of(dirs);
        const MutateSwitches sw{o.yes, o.force, o.json};
        PlanReport report;
        if (auto stop = preflight(scope.dirs, scope.roots, sw, report, out)) return *stop;
        if (auto misplaced = zab::misplaced_files(dirs)) {
            report.refused = *misplaced;
            print_report(report, o.json, out);
            return MutateOutcome::Refused;
        }
        const zab::RepairPlan plan = zab::plan_repair(dirs);
        report.unrepairable = plan.unrepairable;
        return carry_out(plan.plan, scope.roots.front(), sw, report, out);
    } catch (const locate::NotDataError& e) {
        err << "zabra repair: " << e.what() << '\n';
        return MutateOutcome::Usage;
    } catch (const std::exception& e) {
        err << "zabra repair: " << e.what() << '\n';
        return MutateOutcome::OperationalError;
    }
}

}  // namespace zabra::tools
