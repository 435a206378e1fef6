#include "libformat/locate/data_location.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

namespace zabra::locate {

namespace fs = std::filesystem;

namespace {

struct DirFinding {
    bool zookeeper = false;
    std::optional<etcd::EtcdDirLevel> etcd;
};

DirFinding look_in(const fs::path& dir) { return {zab::holds_zookeeper_data(dir), etcd::etcd_dir_level(dir)}; }

std::string what_it_holds(const DirFinding& f) {
    if (f.zookeeper && f.etcd) return "ZooKeeper and etcd data";
    if (f.zookeeper) return "ZooKeeper data";
    return fmt::format("an etcd {}", etcd::etcd_dir_level_name(*f.etcd));
}

// Subdirectories (two levels down, at most `most`) that hold data, for the
// message that says a path holds none.
std::vector<std::string> data_below(const fs::path& dir, std::size_t most) {
    std::vector<std::string> found;
    std::vector<fs::path> level{dir};
    for (int depth = 0; depth < 2 && found.size() < most; ++depth) {
        std::vector<fs::path> next;
        for (const fs::path& d : level) {
            std::error_code ec;
            std::vector<fs::path> children;
            for (const auto& e : fs::directory_iterator(d, ec)) {
                if (e.is_directory(ec) && !e.is_symlink(ec)) children.push_back(e.path());
            }
            std::sort(children.begin(), children.end());
            for (const fs::path& c : children) {
                const DirFinding f = look_in(c);
                if (f.zookeeper || f.etcd) {
                    if (found.size() < most) found.push_back(fmt::format("{} holds {}", c.string(), what_it_holds(f)));
                } else {
                    next.push_back(c);
                }
            }
        }
        level = std::move(next);
    }
    return found;
}

}  // namespace

const char* data_system_name(DataSystem s) { return s == DataSystem::ZooKeeper ? "ZooKeeper" : "etcd"; }

std::string DataLocation::describe() const {
    if (system == DataSystem::Etcd) {
        return etcd_level ? fmt::format("an etcd {}", etcd::etcd_dir_level_name(*etcd_level)) : "an etcd file";
    }
    if (is_dir) return "a ZooKeeper data dir";
    return zookeeper_file == zab::FileKind::Snapshot ? "a ZooKeeper snapshot" : "a ZooKeeper txn log";
}

DataLocation locate_data(const fs::path& given) {
    // "dir/" names dir: its file name part must not come out empty.
    fs::path path = given;
    while (path.has_relative_path() && !path.has_filename()) path = path.parent_path();
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        throw std::runtime_error(fmt::format("{}: {}", given.string(), ec ? ec.message() : "no such file or directory"));
    }
    DataLocation loc;
    loc.path = given;
    if (fs::is_directory(st)) {
        loc.is_dir = true;
        const DirFinding f = look_in(path);
        if (f.zookeeper && f.etcd) {
            throw NotDataError(fmt::format("{}: holds both ZooKeeper data and an etcd {}; give the one you mean",
                                           given.string(), etcd::etcd_dir_level_name(*f.etcd)));
        }
        if (f.etcd) {
            loc.system = DataSystem::Etcd;
            loc.etcd_level = f.etcd;
            return loc;
        }
        if (f.zookeeper) return loc;
        const std::vector<std::string> below = data_below(path, 4);
        throw NotDataError(fmt::format(
            "{}: no ZooKeeper or etcd data here (looked for a version-2 dir, log.* and snapshot.* files, etcd WAL "
            "segments and .snap files, and wal/, snap/ or member/ dirs holding them){}",
            given.string(), below.empty() ? std::string() : "; " + fmt::format("{}", fmt::join(below, "; "))));
    }
    if (!fs::is_regular_file(st)) throw NotDataError(fmt::format("{}: not a regular file or a directory", given.string()));
    if (etcd::is_etcd_file(path)) {
        loc.system = DataSystem::Etcd;
        return loc;
    }
    if ((loc.zookeeper_file = zab::data_file_kind(path))) return loc;
    throw NotDataError(fmt::format("{}: not ZooKeeper or etcd data (its name is not log.*, snapshot.*, *.wal or *.snap, "
                                   "and it does not start with a txn log header, a snapshot header or a WAL record)",
                                   given.string()));
}

}  // namespace zabra::locate
