#include "tools/cmd_repair.h"

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
        "zabra rollback (undo with zabra rollback --undo BACKUP_DIR).\n\n"
        "Exit status: 0 nothing to repair, 1 repaired, 4 a dry run with repairs to make, or damage left\n"
        "unrepaired, 8 operational error, 32 refused (a live server); 2 usage error.\n");
    cmd->add_option("DIR", o.dir, "The server's data dir (dataDir or its version-2)")->required();
    cmd->add_flag("-y,--yes", o.yes, "Apply the repairs (the default is a dry run)");
    cmd->add_flag("--force", o.force, "Go on although a server seems to be using the dir");
    cmd->add_flag("--json", o.json, "Print the plan and what was done as one JSON object");
}

MutateOutcome run_repair(const RepairOptions& o, std::ostream& out, std::ostream& err) {
    try {
        const fs::path v2 = zab::find_version2(o.dir);
        const fs::path root = backup_root(v2);
        PlanReport report;
        report.live = live_signs(o.dir);
        if (!report.live.empty() && !o.force) {
            report.refused = "a server is using this data dir: stop it first (--force overrides)";
            o.json ? print_plan_json(out, report) : print_plan_text(out, report);
            return MutateOutcome::Refused;
        }
        if (const auto unfinished = unfinished_journal(root)) {
            if (!o.yes) {
                out << fmt::format("an interrupted {} is in {}: --yes finishes it\n", unfinished->command,
                                   unfinished->backup_dir.string());
                return MutateOutcome::ChangesNeeded;
            }
            resume_file_plan(unfinished->backup_dir);
            out << fmt::format("finished the interrupted {} in {}\n", unfinished->command, unfinished->backup_dir.string());
        }
        const zab::RepairPlan plan = zab::plan_repair(v2);
        report.plan = &plan.plan;
        report.unrepairable = plan.unrepairable;
        fill_sizes(report);
        if (o.yes && !plan.plan.steps.empty()) {
            report.backup_dir = apply_file_plan(plan.plan, root).string();
            report.applied = true;
        }
        o.json ? print_plan_json(out, report) : print_plan_text(out, report);
        if (!plan.unrepairable.empty()) return MutateOutcome::ChangesNeeded;
        if (plan.plan.steps.empty()) return MutateOutcome::NothingToDo;
        return o.yes ? MutateOutcome::Applied : MutateOutcome::ChangesNeeded;
    } catch (const std::exception& e) {
        err << "zabra repair: " << e.what() << '\n';
        return MutateOutcome::OperationalError;
    }
}

}  // namespace zabra::tools
