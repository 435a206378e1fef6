#include "tools/cmd_verify.h"

#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/wal_verify.h"
#include "libformat/locate/data_location.h"
#include "libformat/zab/verify.h"
#include "tools/progress.h"
#include "tools/verify/finding_printer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace zabra::tools {

void setup_verify(CLI::App& app, VerifyCliOptions& o) {
    auto* cmd = app.add_subcommand("verify", "Check ZooKeeper or etcd data for damage, gaps and what the server would get "
                                             "wrong");
    cmd->footer(
        "PATH is a data dir (version-2 or its parent; give both dataDir and dataLogDir when they differ), or\n"
        "single log and snapshot files. Checked: checksums and end-of-record bytes, torn tails vs damage in\n"
        "mid-file, readable records hidden after an apparent end, snapshot seals (each separately) and\n"
        "compression, zxid continuity within and across logs, missing logs, header-only and all-zero logs,\n"
        "non-canonical file names ZooKeeper would still load, which snapshot ZooKeeper would load and whether\n"
        "the logs can bring it up to date, epoch files, and the tree digest on replay.\n"
        "PATH may also be etcd data (a data, member, wal or snap dir of any name, *.wal, *.snap): the CRC-32C chain across\n"
        "segments, torn tail vs damage (etcd's rule), hidden records, index continuity and overwrites,\n"
        "HardState commit vs the last index, which .snap etcd would start from, leftover files.\n\n"
        "Exit status is a bitmask: 0 clean, 1 warnings, 4 errors, 8 an input could not be read; 2 usage error\n"
        "(also a PATH that holds neither ZooKeeper nor etcd data: nothing is checked).\n\n"
        "Examples:\n"
        "  zabra verify /var/lib/zookeeper\n"
        "  zabra verify --json /data/zk /datalog/zk | jq -c 'select(.severity==\"error\")'\n"
        "  zabra verify /var/lib/etcd\n");
    cmd->add_option("PATH", o.paths, "Data dir, log or snapshot")->required();
    cmd->add_flag("--json", o.json, "JSON Lines: one object per finding, then a summary");
    cmd->add_flag_callback("--no-replay", [&o] { o.replay = false; },
                           "Skip replaying the logs onto the snapshot ZooKeeper would load (no digest check)");
    cmd->add_flag("-q,--quiet", o.quiet, "Leave out notes (info findings)");
    cmd->add_option("--max-record", o.max_record,
                    "Largest record or data length accepted, in bytes (0 or unset: 2097150, ZooKeeper's "
                    "jute.maxbuffer + extrasize)")
        ->option_text("BYTES");
}

VerifyOutcome run_verify(const VerifyCliOptions& o, std::ostream& out, std::ostream& err) {
    VerifyOutcome result;
    zab::VerifyOptions vo;
    vo.replay = o.replay;
    if (o.max_record != 0) vo.max_record = o.max_record;
    std::vector<std::filesystem::path> paths(o.paths.begin(), o.paths.end());
    zab::VerifyReport report;
    std::vector<std::filesystem::path> etcd_dirs;
    {
        Progress bar("verify");
        if (bar.enabled()) vo.on_progress = [&bar](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
        // etcd member dirs and files go to the etcd checks, the rest to ZooKeeper's.
        std::vector<std::filesystem::path> zk_paths, etcd_files;
        for (const auto& p : paths) {
            try {
                const locate::DataLocation where = locate::locate_data(p);
                if (where.system == locate::DataSystem::ZooKeeper) {
                    zk_paths.push_back(p);
                } else if (where.is_dir) {
                    etcd_dirs.push_back(p);
                } else {
                    etcd_files.push_back(p);
                }
            } catch (const locate::NotDataError& e) {
                err << "zabra verify: " << e.what() << '\n';
                result.usage = true;
            } catch (const std::exception&) {
                zk_paths.push_back(p);  // unreadable: ZooKeeper's checks report it as a finding
            }
        }
        if (result.usage) return result;
        if (!zk_paths.empty()) report = zab::verify(zk_paths, vo);
        for (const auto& d : etcd_dirs) etcd::verify_member(etcd::list_member_dir(d), report);
        if (!etcd_files.empty()) etcd::verify_etcd_files(etcd_files, report);
    }
    std::stable_sort(report.findings.begin(), report.findings.end(),
                     [](const zab::Finding& a, const zab::Finding& b) { return a.severity > b.severity; });
    const bool color = !o.json && &out == &std::cout && ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
    auto printer = o.json ? make_json_finding_printer(out) : make_text_finding_printer(out, color);
    for (const auto& f : report.findings) {
        if (o.quiet && f.severity == zab::Severity::Info) continue;
        printer->finding(f);
    }
    printer->summary(report);
    out.flush();
    result.warnings = report.count(zab::Severity::Warning) > 0;
    result.errors = report.count(zab::Severity::Error) > 0;
    result.unreadable = report.unreadable;
    return result;
}

}  // namespace zabra::tools
