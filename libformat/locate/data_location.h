// Which system's data a path holds, decided by what it holds and never by its
// name alone, so that every command reads copies, renamed dirs and bare
// subdirs the same way:
//
//   ZooKeeper  dir:  a version-2 dir, a dir holding one, or a dir holding
//                    log.* or snapshot.* files (a dataLogDir, a bare copy)
//              file: named log.* or snapshot.*, or starting with a log's
//                    "ZKLG" or a snapshot's "ZKSN" (also under gzip or snappy)
//   etcd       dir:  a wal dir (holds <seq>-<index>.wal), a snap dir (holds
//                    <term>-<index>.snap or db), a member dir (its wal/ or
//                    snap/ is one), a data dir (its member/ is one); any names
//              file: *.wal, *.snap (or .broken), or starting like a WAL record
//
// A path that is neither is not guessed at: NotDataError says what was looked
// for and names the subdirectories (two levels down) that do hold data.
#pragma once

#include "libformat/etcd/member_dir.h"
#include "libformat/zab/data_dir.h"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace zabra::locate {

enum class DataSystem { ZooKeeper, Etcd };
const char* data_system_name(DataSystem s);  // "ZooKeeper", "etcd"

struct DataLocation {
    DataSystem system = DataSystem::ZooKeeper;
    std::filesystem::path path;  // as given
    bool is_dir = false;
    std::optional<zab::FileKind> zookeeper_file;     // a ZooKeeper file: log or snapshot
    std::optional<etcd::EtcdDirLevel> etcd_level;    // an etcd dir: which level
    std::string describe() const;  // "a ZooKeeper data dir", "an etcd member dir", ...
};

// The path exists but holds neither system's data (or both): a usage error.
class NotDataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws NotDataError as above, and std::runtime_error when the path cannot
// be read at all (missing, no permission).
DataLocation locate_data(const std::filesystem::path& path);

}  // namespace zabra::locate
