// What verify reports, for ZooKeeper and etcd data alike: findings with a
// severity, a stable code, where (file, offset, record, zxid or raft
// index/term), what is wrong and what to do. Printing is the caller's business.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zabra {

enum class Severity { Info, Warning, Error };
const char* severity_name(Severity s);

struct Finding {
    Severity severity = Severity::Info;
    std::string code;  // stable identifier, e.g. "log-checksum-mismatch"
    std::filesystem::path file;
    std::optional<std::uint64_t> offset;  // byte offset in the file (uncompressed stream for snapshots)
    std::optional<std::uint64_t> record;  // 0-based record index in the log or segment
    std::optional<std::int64_t> zxid;     // ZooKeeper
    std::optional<std::uint64_t> index;   // etcd: raft index
    std::optional<std::uint64_t> term;    // etcd: raft term
    std::string message;  // one line: what is wrong
    std::string action;   // one line: what to do about it
};

Finding make_finding(Severity severity, std::string code, const std::filesystem::path& file, std::string message,
                     std::string action);

struct VerifyStats {
    // ZooKeeper
    std::uint64_t logs = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t records = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t digests_compared = 0;
    std::optional<std::int64_t> first_zxid;
    std::optional<std::int64_t> last_zxid;
    std::optional<std::filesystem::path> chosen_snapshot;  // what ZooKeeper would load
    // etcd
    std::uint64_t etcd_members = 0;  // member dirs or sets of loose files checked
    std::uint64_t wal_segments = 0;
    std::uint64_t snap_files = 0;
    std::uint64_t wal_records = 0;
    std::uint64_t wal_bytes = 0;  // bytes of frames read
    std::uint64_t entries = 0;
    // Of the last member checked (summaries show them only for one member).
    std::optional<std::uint64_t> first_index;
    std::optional<std::uint64_t> last_index;
    std::optional<std::uint64_t> commit;  // the last HardState's
    std::optional<std::filesystem::path> etcd_snap;  // the .snap etcd would start from
};

struct VerifyReport {
    std::vector<Finding> findings;
    VerifyStats stats;
    bool unreadable = false;  // some input could not be read at all

    std::size_t count(Severity s) const;
    Finding& add(Severity severity, std::string code, const std::filesystem::path& file, std::string message,
                 std::string action);
};

}  // namespace zabra
