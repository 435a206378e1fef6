// Offline checks of ZooKeeper data: everything ZooKeeper itself silently gets
// wrong or refuses to start on (zookeeper-format.md §9, reliability.md Z1-Z14).
// Produces findings; printing is the caller's business.
#pragma once

#include "libformat/zab/data_dir.h"
#include "libformat/zab/jute.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

enum class Severity { Info, Warning, Error };
const char* severity_name(Severity s);

struct Finding {
    Severity severity = Severity::Info;
    std::string code;  // stable identifier, e.g. "log-checksum-mismatch"
    std::filesystem::path file;
    std::optional<std::uint64_t> offset;  // byte offset in the file (uncompressed stream for snapshots)
    std::optional<std::uint64_t> record;  // 0-based record index in the log
    std::optional<std::int64_t> zxid;
    std::string message;  // one line: what is wrong
    std::string action;   // one line: what to do about it
};

struct VerifyOptions {
    std::uint32_t max_record = kDefaultMaxBuffer;
    // Replay the logs from the snapshot ZooKeeper would load and compare the
    // tree digest at every txn that carries one.
    bool replay = true;
    // Called now and then with the bytes of files done and in all.
    std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
};

struct VerifyStats {
    std::uint64_t logs = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t records = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t digests_compared = 0;
    std::optional<std::int64_t> first_zxid;
    std::optional<std::int64_t> last_zxid;
    std::optional<std::filesystem::path> chosen_snapshot;  // what ZooKeeper would load
};

struct VerifyReport {
    std::vector<Finding> findings;
    VerifyStats stats;
    bool unreadable = false;  // some input could not be read at all

    std::size_t count(Severity s) const;
};

// Each path is a data dir (version-2 or its parent; give dataDir and
// dataLogDir both when they differ), a log or a snapshot file.
VerifyReport verify(const std::vector<std::filesystem::path>& paths, const VerifyOptions& options = {});

}  // namespace zabra::zab
