// zabra: inspect ZooKeeper data (etcd comes later). Only this file
// chooses exit codes:
//   0  done, data clean (a torn tail is normal and reported)
//   1  data damage found (damaged records, failed seals, txns of unknown type
//      or with undecodable multi ops; a file named log.* with a bad header)
//   2  usage error
//   3  an input could not be read or is not ZooKeeper data
// zabra diff: 0 identical, 1 different, 3 unreadable or damaged input.
// zabra plan: the kind of sync: 0 EMPTY_DIFF (in sync), 10 DIFF, 11 TRUNC,
//   12 TRUNC+DIFF, 13 SNAP; 2 usage error, 3 unreadable input.
// zabra verify's status is an fsck-style bitmask:
//   0 clean, 1 warnings, 4 errors, 8 an input could not be read (2: usage error)
// zabra top: 0 quorum and every server serving, 1 a server down or not
//   serving, 4 no leader or no quorum.
// zabra rollback and repair, fsck-style: 0 nothing to do, 1 changes made,
//   4 a dry run with changes to make (or damage left unrepaired), 8 an
//   operational error, 32 refused (a live server, a zxid in no log).
#include "tools/cmd_diff.h"
#include "tools/cmd_dump.h"
#include "tools/cmd_pack.h"
#include "tools/cmd_plan.h"
#include "tools/cmd_repair.h"
#include "tools/cmd_rollback.h"
#include "tools/cmd_stats.h"
#include "tools/cmd_top.h"
#include "tools/cmd_verify.h"
#include "tools/inputs.h"
#include "zabra/version.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

int main(int argc, char** argv) {
    using namespace zabra::tools;
    std::ios::sync_with_stdio(false);  // printers write whole lines; no need to interleave with stdio
    CLI::App app{"zabra: inspect ZooKeeper (ZAB) on-disk data: txn logs, snapshots, data dirs", "zabra"};
    app.set_version_flag("-V,--version", std::string("zabra ") + zabra::kVersion);
    app.require_subcommand(1);
    app.footer("Exit codes: 0 clean, 1 data damage found, 2 usage error, 3 unreadable input;\n"
               "verify: a bit mask (1 warnings, 4 errors, 8 unreadable); diff: 1 when the trees differ;\n"
               "plan: 0 EMPTY_DIFF, 10 DIFF, 11 TRUNC, 12 TRUNC+DIFF, 13 SNAP;\n"
               "rollback, repair: 0 nothing to do, 1 done, 4 dry run with changes, 8 error, 32 refused.\n"
               "Run 'zabra COMMAND --help' for a command's options; 'man zabra-COMMAND' for details.");
    DumpOptions dump;
    setup_dump(app, dump);
    VerifyCliOptions verify;
    setup_verify(app, verify);
    StatsOptions stats;
    setup_stats(app, stats);
    DiffOptions diff;
    setup_diff(app, diff);
    PackCliOptions pack;
    setup_pack(app, pack);
    PlanOptions plan;
    setup_plan(app, plan);
    RollbackOptions rollback;
    setup_rollback(app, rollback);
    RepairOptions repair;
    setup_repair(app, repair);
    TopOptions top;
    setup_top(app, top);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }
    // Bundles and .zst files are unpacked once, for whichever command reads them.
    Inputs inputs;
    try {
        dump.paths = inputs.resolve(dump.paths);
        verify.paths = inputs.resolve(verify.paths);
        stats.paths = inputs.resolve(stats.paths);
        diff.args = inputs.resolve(diff.args);
    } catch (const std::exception& e) {
        std::cerr << "zabra: " << e.what() << '\n';
        return app.got_subcommand("verify") ? 8 : 3;
    }
    // What is printed about unpacked files names the bundle, not the temp dir.
    struct ShowPaths {
        ShownPathsBuf out, err;
        std::streambuf* old_out;
        std::streambuf* old_err;
        explicit ShowPaths(const PathNames& names)
            : out(std::cout.rdbuf(), names), err(std::cerr.rdbuf(), names),
              old_out(std::cout.rdbuf(&out)), old_err(std::cerr.rdbuf(&err)) {}
        ~ShowPaths() {
            std::cout.flush();
            std::cerr.flush();
            std::cout.rdbuf(old_out);
            std::cerr.rdbuf(old_err);
        }
    };
    std::optional<ShowPaths> shown;
    if (!inputs.shown_names().empty()) shown.emplace(inputs.shown_names());
    if (app.got_subcommand("pack")) return run_pack(pack, std::cout, std::cerr) == Outcome::Ok ? 0 : 3;
    if (app.got_subcommand("verify")) {
        const VerifyOutcome v = run_verify(verify, std::cout, std::cerr);
        if (v.usage) return 2;
        return (v.warnings ? 1 : 0) | (v.errors ? 4 : 0) | (v.unreadable ? 8 : 0);
    }
    auto mutate_code = [](MutateOutcome m) {
        switch (m) {
        case MutateOutcome::NothingToDo: return 0;
        case MutateOutcome::Applied: return 1;
        case MutateOutcome::ChangesNeeded: return 4;
        case MutateOutcome::OperationalError: return 8;
        case MutateOutcome::Refused: return 32;
        case MutateOutcome::Usage: return 2;
        }
        return 8;
    };
    if (app.got_subcommand("top")) {
        switch (run_top(top, std::cout, std::cerr)) {
        case TopHealth::Healthy: return 0;
        case TopHealth::Degraded: return 1;
        case TopHealth::NoQuorum: return 4;
        case TopHealth::Usage: return 2;
        }
    }
    if (app.got_subcommand("rollback")) return mutate_code(run_rollback(rollback, std::cout, std::cerr));
    if (app.got_subcommand("repair")) return mutate_code(run_repair(repair, std::cout, std::cerr));
    if (app.got_subcommand("plan")) {
        const PlanOutcome p = run_plan(plan, std::cout, std::cerr);
        if (p.usage) return 2;
        if (!p.kind) return 3;
        switch (*p.kind) {
        case zabra::zab::SyncKind::EmptyDiff: return 0;
        case zabra::zab::SyncKind::Diff: return 10;
        case zabra::zab::SyncKind::Trunc: return 11;
        case zabra::zab::SyncKind::TruncDiff: return 12;
        case zabra::zab::SyncKind::Snap: return 13;
        }
    }
    if (app.got_subcommand("diff")) {
        switch (run_diff(diff, std::cout, std::cerr)) {
        case DiffOutcome::Same: return 0;
        case DiffOutcome::Different: return 1;
        case DiffOutcome::BadInput: return 3;
        case DiffOutcome::Usage: return 2;
        }
    }
    Outcome outcome = Outcome::Ok;
    if (app.got_subcommand("dump")) outcome = run_dump(dump, std::cout, std::cerr);
    if (app.got_subcommand("stats")) outcome = run_stats(stats, std::cout, std::cerr);
    switch (outcome) {
    case Outcome::Ok: return 0;
    case Outcome::DataDamage: return 1;
    case Outcome::BadInput: return 3;
    case Outcome::Usage: return 2;
    }
    return 1;
}
