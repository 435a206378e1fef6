// A quorum member's two epoch files (doc/zab-quorum-port.md): acceptedEpoch,
// the newest epoch it agreed to follow or lead (written before it answers
// LEADERINFO or proposes an epoch), and currentEpoch, the epoch whose history
// it holds (written after a sync's txns are durable, before it ACKs
// NEWLEADER). Both live in the snapshot dir's version-2:
//
//   epoch file := decimal int64, no newline     (written as <name>.tmp, fsync, rename, fsync(dir))
#pragma once

#include "node/persistence.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace zabra::node::quorum {

inline constexpr const char* kAcceptedEpochFile = "acceptedEpoch";
inline constexpr const char* kCurrentEpochFile = "currentEpoch";

struct Epochs {
    std::int64_t current = 0;
    std::int64_t accepted = 0;
};

// QuorumPeer.loadDataBase's part about epochs, given the last zxid the data
// dir holds: a missing file is created from that zxid's epoch; a currentEpoch
// older than it is taken from currentEpoch.tmp when a write was cut short;
// an acceptedEpoch below currentEpoch is refused. Throws std::runtime_error
// with ZooKeeper's words; `log` gets what ZooKeeper logs.
Epochs load_epochs(const std::filesystem::path& snap_dir, std::int64_t last_zxid, const LogLine& log);

// Reads one epoch file (std::runtime_error "Found <line> in <file>" when it
// does not hold a number); throws std::filesystem::filesystem_error when missing.
std::int64_t read_epoch_file(const std::filesystem::path& file);

// Writes one epoch file durably; each step is a mutation point (ZABRA_CRASH_AT).
void write_epoch_file(const std::filesystem::path& snap_dir, const char* name, std::int64_t value);

}  // namespace zabra::node::quorum
