// ZooKeeper data directories: dataDir/version-2 holds snapshot.<zxid>[.gz|.snappy],
// currentEpoch, acceptedEpoch; dataLogDir/version-2 holds log.<zxid>. The zxid in
// a name is lower-case hex without leading zeros (Long.toHexString).
//
// ZooKeeper's Util.getZxidFromName splits on "." and parses the second part,
// ignoring any further suffix, so log.20b.fixed or snapshot.400.bak are picked
// up as real data. We flag every such non-canonical name.
#pragma once

#include "libformat/zab/snapshot.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

enum class FileKind { TxnLog, Snapshot };

struct DataFileName {
    FileKind kind = FileKind::TxnLog;
    std::int64_t zxid = 0;
    std::string suffix;        // after "<prefix>.<hex>", e.g. ".gz", ".fixed", ".tmp"
    bool canonical = false;    // exactly what ZooKeeper itself writes
    // The compression ZooKeeper infers from the name (last dot-separated part).
    Compression name_compression = Compression::None;
};

// Parses a file name as ZooKeeper would; nullopt if ZooKeeper ignores the file.
// A name whose zxid part does not parse gets zxid -1, as in ZooKeeper.
std::optional<DataFileName> parse_data_file_name(std::string_view name);

std::string log_file_name(std::int64_t zxid);
std::string snapshot_file_name(std::int64_t zxid, Compression c = Compression::None);

struct DataFile {
    std::filesystem::path path;
    DataFileName name;
    std::uint64_t size = 0;
};

struct DataDir {
    std::filesystem::path version2;  // the version-2 dir that was listed
    std::vector<DataFile> logs;       // in ZooKeeper's order: name zxid ascending
    std::vector<DataFile> snapshots;  // name zxid ascending
    std::vector<std::filesystem::path> other;  // files ZooKeeper ignores
    std::optional<std::int64_t> current_epoch;
    std::optional<std::int64_t> accepted_epoch;
    std::vector<std::string> problems;  // unreadable epoch files and the like
};

// The kind of a ZooKeeper data file: by its name as ZooKeeper parses it, else
// by its first bytes (a log's "ZKLG" header, a snapshot's "ZKSN", also under
// gzip or snappy). nullopt: neither, so not ZooKeeper data.
std::optional<FileKind> data_file_kind(const std::filesystem::path& file);

// True when `dir` is a version-2 dir or holds one, or holds files named as
// ZooKeeper names logs and snapshots (log.*, snapshot.*).
bool holds_zookeeper_data(const std::filesystem::path& dir);

// Resolves `path` to a version-2 dir: the dir itself if named version-2, else
// path/version-2 if it exists, else path. Throws std::runtime_error if it is
// not a directory.
std::filesystem::path find_version2(const std::filesystem::path& path);

// Lists one dir (dataDir and dataLogDir may be the same or separate; call
// twice and merge for the latter).
DataDir list_data_dir(const std::filesystem::path& path);

// An epoch file: ASCII decimal, no newline. nullopt + problem if malformed.
std::optional<std::int64_t> read_epoch_file(const std::filesystem::path& path, std::string& problem);

// "0x" and lower-case hex, as ZooKeeper's logs print a zxid.
std::string zxid_hex(std::int64_t zxid);
inline std::int64_t zxid_epoch(std::int64_t zxid) { return static_cast<std::int64_t>(static_cast<std::uint64_t>(zxid) >> 32); }
inline std::int64_t zxid_counter(std::int64_t zxid) { return zxid & 0xffffffffll; }

}  // namespace zabra::zab
