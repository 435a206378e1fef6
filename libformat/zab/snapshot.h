// ZooKeeper snapshot file (version-2/snapshot.<zxid>[.gz|.snappy]), 3.5-3.9.
// The uncompressed stream is:
//
//   FileHeader  int magic "ZKSN" (0x5a4b534e), int version (2), long dbid (-1)
//   sessions    int count, count x {long sessionId, int timeoutMs}
//   ACL cache   int count, count x {long aclId, vector<ACL>}
//   nodes       repeated {ustring path, DataNode}, parents first; the root's path is ""
//   DataNode    buffer data, long acl, StatPersisted
//   StatPersisted  long czxid, long mzxid, long ctime, long mtime, int version,
//                  int cversion, int aversion, long ephemeralOwner, long pzxid
//   terminator  ustring "/"
//   seal #1     long Adler-32 of every byte so far, ustring "/"
//   [3.6+]  ZxidDigest {long zxid, int version, long digest}, seal #2 (cumulative), "/"
//   [3.9+]  long lastProcessedZxid, seal #3 (cumulative), "/"
//
// Compression wraps the whole stream: gzip (one member, as GZIPOutputStream),
// or xerial snappy-java framing: "\x82SNAPPY\0", int 1, int 1, then blocks of
// {int compressed length, raw Snappy block} over 32 KiB input chunks.
// The seals are over the uncompressed bytes. Optional sections are detected
// by the bytes running out, exactly as FileSnap does.
#pragma once

#include "libformat/zab/txn.h"

#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

constexpr std::uint32_t kSnapshotMagic = 0x5a4b534e;  // "ZKSN"
constexpr std::int32_t kSnapshotVersion = 2;
constexpr std::size_t kStatPersistedSize = 60;
constexpr std::size_t kXerialBlockSize = 32 * 1024;
constexpr std::int64_t kOpenAclId = -1;  // OPEN_ACL_UNSAFE, never stored in the map

enum class Compression { None, Gzip, Snappy };
const char* compression_name(Compression c);

struct StatPersisted {
    std::int64_t czxid = 0;
    std::int64_t mzxid = 0;
    std::int64_t ctime = 0;
    std::int64_t mtime = 0;
    std::int32_t version = 0;
    std::int32_t cversion = 0;
    std::int32_t aversion = 0;
    std::int64_t ephemeral_owner = 0;
    std::int64_t pzxid = 0;
    bool operator==(const StatPersisted&) const = default;
};

struct SnapshotHeader {
    std::uint32_t magic = kSnapshotMagic;
    std::int32_t version = kSnapshotVersion;
    std::int64_t dbid = -1;
};

struct SnapshotSession {
    std::int64_t id = 0;
    std::int32_t timeout = 0;
    bool operator==(const SnapshotSession&) const = default;
};

struct SnapshotAcl {
    std::int64_t id = 0;
    AclList acls;
    bool operator==(const SnapshotAcl&) const = default;
};

struct SnapshotNode {
    std::string path;  // "" for the root
    Buffer data;
    std::int64_t acl = 0;
    StatPersisted stat;
    std::uint64_t offset = 0;  // of the path, in the uncompressed stream
    bool operator==(const SnapshotNode& o) const {
        return path == o.path && data == o.data && acl == o.acl && stat == o.stat;
    }
};

struct SnapshotSeal {
    std::uint64_t offset = 0;  // of the stored checksum
    std::uint64_t stored = 0;
    std::uint32_t computed = 0;
    bool ok() const { return stored == computed; }
};

struct ZxidDigest {
    std::int64_t zxid = 0;
    std::int32_t version = 2;
    std::int64_t digest = 0;
    std::optional<std::string> legacy_text;  // version < 2 stored the digest as hex text
    bool operator==(const ZxidDigest&) const = default;
};

// Everything after the nodes.
struct SnapshotTrailer {
    std::optional<SnapshotSeal> seal1;
    std::optional<ZxidDigest> digest;
    std::optional<SnapshotSeal> seal2;
    std::optional<std::int64_t> last_processed_zxid;
    std::optional<SnapshotSeal> seal3;
};

// A whole snapshot in memory (tests, replay, small files).
struct Snapshot {
    SnapshotHeader header;
    Compression compression = Compression::None;
    std::vector<SnapshotSession> sessions;
    std::vector<SnapshotAcl> acls;
    std::vector<SnapshotNode> nodes;
    SnapshotTrailer trailer;
};

}  // namespace zabra::zab
