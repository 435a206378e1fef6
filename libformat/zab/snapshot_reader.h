// Streaming snapshot decoder: detects compression by content, checks each seal
// separately, and hands sessions, ACLs and nodes to a visitor one at a time so
// memory stays flat. Damage is a result, not an exception.
#pragma once

#include "libformat/zab/snapshot.h"

#include <functional>

namespace zabra::zab {

class SnapshotVisitor {
public:
    virtual ~SnapshotVisitor() = default;
    virtual void on_header(const SnapshotHeader&) {}
    virtual void on_session(const SnapshotSession&) {}
    virtual void on_acl(const SnapshotAcl&) {}
    virtual void on_node(const SnapshotNode&) {}
    // False: nodes are checked and counted but not built (no allocation);
    // on_node is not called.
    virtual bool wants_nodes() const { return true; }
};

struct SnapshotReadOptions {
    std::uint32_t max_buffer = kDefaultMaxBuffer;
    // Called now and then with how many input bytes are used up, so the
    // caller can let go of them (MappedFile::release_before).
    std::function<void(std::uint64_t)> on_consumed;
};

struct SnapshotReadResult {
    Compression compression = Compression::None;
    SnapshotHeader header;
    SnapshotTrailer trailer;
    std::uint64_t sessions = 0;
    std::uint64_t acls = 0;
    std::uint64_t nodes = 0;
    std::uint64_t stream_bytes = 0;  // uncompressed bytes consumed
    // Set when decoding stopped early: what and where (uncompressed offset).
    std::optional<std::string> error;
    std::uint64_t error_offset = 0;
    bool truncated = false;  // the error is the data running out
    bool extra_data = false;  // bytes after the last known section (ignored)

    // Decoded completely and every seal present matched.
    bool ok() const;
};

Compression detect_compression(ByteSpan file);

// True when the file's first bytes, after gzip or snappy if it is compressed,
// are a snapshot's magic ("ZKSN"). Reads only a few bytes.
bool starts_like_snapshot(ByteSpan file);

SnapshotReadResult read_snapshot(ByteSpan file, SnapshotVisitor& visitor, const SnapshotReadOptions& options = {});

// Decodes the whole file into memory; check result.ok() / result.error.
Snapshot load_snapshot(ByteSpan file, SnapshotReadResult& result, const SnapshotReadOptions& options = {});

}  // namespace zabra::zab
