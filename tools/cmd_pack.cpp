#include "tools/cmd_pack.h"

#include "libformat/pack/bundle.h"

#include <fmt/format.h>

#include <filesystem>

namespace zabra::tools {

namespace fs = std::filesystem;

void setup_pack(CLI::App& app, PackCliOptions& o) {
    auto* cmd = app.add_subcommand("pack", "Copy a (possibly live) data dir into one small .tar.zst bundle");
    cmd->footer(
        "Snapshots are copied first, then the logs oldest to newest and any log that appeared meanwhile, so\n"
        "the copy is consistent while the server writes. Preallocated zeros at the end of logs are dropped\n"
        "(and restored when the bundle is read). Every zabra command reads the bundle directly:\n"
        "  zabra pack /var/lib/zookeeper -o zk1.tar.zst\n"
        "  zabra verify zk1.tar.zst\n"
        "A separate dataLogDir is given as a second DIR; both end up in one version-2 in the bundle.\n"
        "The bundle is written to OUTPUT.tmp, fsynced, then renamed; an existing OUTPUT is kept unless --force.");
    cmd->add_option("DIR", o.dirs, "dataDir (and dataLogDir), version-2 or its parent")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("-o,--output", o.output, "Bundle to write (FILE.tar.zst)")->required();
    cmd->add_option("-l,--level", o.level, "zstd compression level (3)")->check(CLI::Range(1, 19))->option_text("N");
    cmd->add_flag("--force", o.force, "Replace OUTPUT if it exists");
}

Outcome run_pack(const PackCliOptions& o, std::ostream& out, std::ostream& err) {
    if (fs::exists(o.output) && !o.force) {
        err << fmt::format("zabra pack: {} exists; --force replaces it\n", o.output);
        return Outcome::BadInput;
    }
    try {
        std::vector<fs::path> dirs(o.dirs.begin(), o.dirs.end());
        const pack::PackReport r = pack::pack_data_dirs(dirs, o.output, {o.level});
        out << fmt::format("{}: {} files, {} bytes on disk packed into {} bytes ({:.2f}%)\n", o.output, r.files.size(),
                           r.original_bytes, r.bundle_bytes,
                           100.0 * static_cast<double>(r.bundle_bytes) / static_cast<double>(std::max<std::uint64_t>(r.original_bytes, 1)));
    } catch (const std::exception& e) {
        err << fmt::format("zabra pack: {}\n", e.what());
        return Outcome::BadInput;
    }
    return Outcome::Ok;
}

}  // namespace zabra::tools
