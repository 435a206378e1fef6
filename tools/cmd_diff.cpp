#include "tools/cmd_diff.h"

#include "libformat/common/mapped_file.h"
#include "libformat/locate/data_location.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/tree_diff.h"
#include "tools/diff/diff_printer.h"
#include "tools/dump/txn_filter.h"

#include <fmt/format.h>

#include <filesystem>

namespace zabra::tools {

namespace fs = std::filesystem;

void setup_diff(CLI::App& app, DiffOptions& o) {
    auto* cmd = app.add_subcommand("diff", "Compare two snapshots, or a data dir at two zxids, node by node");
    cmd->footer(
        "zabra diff SNAPSHOT_A SNAPSHOT_B     compares two snapshot files (any compression)\n"
        "zabra diff DATA_DIR ZXID_A ZXID_B    rebuilds the tree at both zxids (snapshot + replay) and compares\n\n"
        "Each node added (+), removed (-) or changed (~) is listed with the fields that differ.\n"
        "Exit status: 0 identical, 1 different, 2 usage error, 3 unreadable or damaged input.\n\n"
        "Examples:\n"
        "  zabra diff version-2/snapshot.100000019 version-2/snapshot.200000016\n"
        "  zabra diff /var/lib/zookeeper 0x300000001 0x300000040\n");
    cmd->add_option("ARGS", o.args, "SNAPSHOT_A SNAPSHOT_B, or DATA_DIR ZXID_A ZXID_B")->required()->expected(2, 3);
    cmd->add_flag("--json", o.json, "One JSON object per changed node, then a summary");
    cmd->add_flag("--ignore-ephemerals", o.ignore_ephemerals, "Leave out ephemeral nodes (their sessions come and go)");
}

namespace {

zab::TreeView load_view(const fs::path& p) {
    MappedFile m(p);
    zab::SnapshotReadResult r;
    zab::SnapshotReadOptions ro;
    ro.on_consumed = [&m](std::uint64_t c) { m.release_before(c); };
    const zab::Snapshot s = zab::load_snapshot(m.bytes(), r, ro);
    if (r.error) throw std::runtime_error(fmt::format("{}: {}", p.string(), *r.error));
    if (!r.ok()) throw std::runtime_error(fmt::format("{}: a snapshot seal does not match (zabra verify says more)", p.string()));
    return zab::view_of(s);
}

}  // namespace

DiffOutcome run_diff(const DiffOptions& o, std::ostream& out, std::ostream& err) {
    zab::TreeView a, b;
    std::string name_a, name_b;
    try {
        for (std::size_t i = 0; i < (o.args.size() == 2 ? 2u : 1u); ++i) {
            const locate::DataLocation where = locate::locate_data(o.args[i]);
            const bool wanted = where.system == locate::DataSystem::ZooKeeper &&
                                (o.args.size() == 2 ? where.zookeeper_file == zab::FileKind::Snapshot : where.is_dir);
            if (!wanted) {
                err << fmt::format("zabra diff: {} is {}; diff takes two ZooKeeper snapshots, or a ZooKeeper data dir "
                                   "and two zxids\n", o.args[i], where.describe());
                return DiffOutcome::Usage;
            }
        }
        if (o.args.size() == 2) {
            a = load_view(o.args[0]);
            b = load_view(o.args[1]);
            name_a = o.args[0];
            name_b = o.args[1];
        } else {
            const auto za = parse_zxid(o.args[1]);
            const auto zb = parse_zxid(o.args[2]);
            if (!fs::is_directory(o.args[0]) || !za || !zb) {
                err << "zabra diff: with three arguments: DATA_DIR ZXID_A ZXID_B (zxids in hex, decimal or "
                       "epoch:counter)\n";
                return DiffOutcome::Usage;
            }
            a = zab::view_of(zab::tree_at({o.args[0]}, *za));
            b = zab::view_of(zab::tree_at({o.args[0]}, *zb));
            name_a = fmt::format("0x{:x}", *za);
            name_b = fmt::format("0x{:x}", *zb);
        }
    } catch (const locate::NotDataError& e) {
        err << fmt::format("zabra diff: {}\n", e.what());
        return DiffOutcome::Usage;
    } catch (const std::exception& e) {
        err << fmt::format("zabra diff: {}\n", e.what());
        return DiffOutcome::BadInput;
    }
    if (o.ignore_ephemerals) {
        for (auto* v : {&a, &b}) std::erase_if(*v, [](const auto& kv) { return kv.second.stat.ephemeral_owner > 0; });
    }
    auto printer = o.json ? make_json_diff_printer(out) : make_text_diff_printer(out);
    std::size_t added = 0, removed = 0, changed = 0;
    for (const auto& c : zab::diff_trees(a, b)) {
        printer->change(c);
        added += c.kind == zab::NodeChange::Kind::Added;
        removed += c.kind == zab::NodeChange::Kind::Removed;
        changed += c.kind == zab::NodeChange::Kind::Changed;
    }
    printer->summary(name_a, name_b, added, removed, changed);
    out.flush();
    return added + removed + changed == 0 ? DiffOutcome::Same : DiffOutcome::Different;
}

}  // namespace zabra::tools
