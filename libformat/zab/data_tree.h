// In-memory ZooKeeper data tree that applies txns the way DataTree.processTxn
// does, and keeps ZooKeeper's tree digest (DigestCalculator, version 2):
//
//   node digest = CRC-32(path bytes ("/" hashed as ""), data, 60-byte BE block
//                 czxid mzxid pzxid ctime mtime version cversion aversion ephemeralOwner)
//   tree digest = sum mod 2^64 of node digests, over every node whose path
//                 does not start with "/zookeeper/"
#pragma once

#include "libformat/zab/snapshot.h"
#include "libformat/zab/snapshot_reader.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace zabra::zab {

constexpr std::int64_t kContainerOwner = static_cast<std::int64_t>(0x8000000000000000ull);
constexpr std::int64_t ttl_owner(std::int64_t ttl) {
    return static_cast<std::int64_t>(0xff00000000000000ull | static_cast<std::uint64_t>(ttl));
}

// KeeperException codes used while applying.
namespace err {
constexpr std::int32_t ok = 0;
constexpr std::int32_t runtime_inconsistency = -2;
constexpr std::int32_t no_node = -101;
constexpr std::int32_t node_exists = -110;
}  // namespace err

std::uint32_t node_digest(std::string_view path, const Buffer& data, const StatPersisted& stat);
// Its two halves, for whoever tracks digests of nodes not (yet) in a tree:
// CRC-32 of the path ("/" as "") and data, continued over the stat block.
std::uint32_t path_data_crc(std::string_view path, const Buffer& data);
std::uint32_t node_digest_from_crc(std::uint32_t path_data_crc, const StatPersisted& stat);
// Whether a node's digest is part of the tree digest (not under /zookeeper/).
bool digest_counts(std::string_view path);

struct DataNode {
    Buffer data;  // not kept by a digest-only tree
    std::int64_t acl = kOpenAclId;
    StatPersisted stat;
    // Child names; allocated on first use, never by a digest-only tree.
    std::unique_ptr<std::set<std::string>> children;
    void add_child(std::string name) {
        if (!children) children = std::make_unique<std::set<std::string>>();
        children->insert(std::move(name));
    }
    std::uint32_t path_data_crc = 0;  // CRC-32 of path and data: the digest follows from it and the stat
    std::uint32_t digest = 0;
};

// Paths to nodes. The hash is transparent so that a parent can be looked up
// by a string_view into its child's path, without a copy.
struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using NodeMap = std::unordered_map<std::string, DataNode, PathHash, std::equal_to<>>;
using PathSet = std::unordered_set<std::string, PathHash, std::equal_to<>>;

// What a replay of some txns needs from the tree: the paths they read or
// change and their parents ("/" as ""), and the sessions they close without
// naming the ephemerals to delete (which then go by owner).
struct WorkingSet {
    PathSet paths;
    std::unordered_set<std::int64_t> closed_sessions;
    void add(const Txn& txn);
};

// 64-bit fingerprints of paths, in one open-addressed table (16 bytes a path
// at worst): enough to tell whether a path exists without keeping it.
class PathFingerprints {
public:
    bool insert(std::string_view path);  // false if already there
    bool contains(std::string_view path) const;
    std::size_t size() const { return m_count; }

private:
    static std::uint64_t fingerprint(std::string_view path);
    std::vector<std::uint64_t> m_slots;  // 0: empty
    std::size_t m_count = 0;
};

struct ApplyResult {
    std::int32_t err = err::ok;  // first error, as processTxn reports it
};

// Where replay stands against the digests ZooKeeper recorded.
struct DigestCheck {
    bool compared = false;
    std::int64_t expected = 0;
    std::int64_t actual = 0;
    bool matches() const { return !compared || expected == actual; }
};

class DataTreeBuilder;

class DataTree {
public:
    // The tree of a fresh server: "", /zookeeper, /zookeeper/quota and the
    // read-only /zookeeper/config. A digest-only tree (keep_data false) keeps
    // no node data and no child lists, only what the digest needs: a fraction
    // of the memory, for verify's replay.
    explicit DataTree(bool keep_data = true);

    // Loads a snapshot. Throws FormatError when a node's parent is missing.
    // `name_zxid` is the zxid in the file name; replay continues after it.
    static DataTree from_snapshot(const Snapshot& snap, std::int64_t name_zxid);

    // The same, built while the snapshot is read, without holding it whole.
    // Throws FormatError for a bad tree; a read error or seal mismatch is in
    // `result` (check result.ok()).
    //
    // With a `working_set` (digest-only trees only), the tree keeps just the
    // nodes the set needs, the ephemerals of its closed sessions and their
    // parents: every other node adds its digest and a fingerprint of its path
    // (for the parent and duplicate checks, exact but for a 64-bit hash
    // collision). A replay of the set's txns then gives the same digests, in
    // memory that follows the logs' working set, not the snapshot's size.
    // (An ephemeral whose parent was passed over costs a second read.)
    static DataTree load(ByteSpan snapshot_file, std::int64_t name_zxid, SnapshotReadResult& result,
                         const SnapshotReadOptions& options = {}, bool keep_data = true,
                         const WorkingSet* working_set = nullptr);
    std::size_t unkept_nodes() const { return m_unkept.size(); }


    ApplyResult apply(const Txn& txn);

    // apply() plus the comparisons ZooKeeper makes during restore: the
    // snapshot's digest when its zxid is reached, then each txn's TxnDigest.
    DigestCheck apply_and_check(const Txn& txn);

    std::int64_t digest() const { return static_cast<std::int64_t>(m_digest); }
    std::int64_t last_processed_zxid() const { return m_last_zxid; }
    // A new leader's tree stands at its epoch's zxid 0 before its first txn
    // (ZooKeeper's setlastProcessedZxid at NEWLEADER's quorum).
    void set_last_processed_zxid(std::int64_t zxid) { m_last_zxid = zxid; }
    // An ensemble member's /zookeeper/config: its member list, version -1,
    // stamped `mtime_ms` (ZKDatabase.initConfigInZKDatabase; not in the digest).
    void set_config_node(const std::string& members, std::int64_t mtime_ms);
    bool in_fuzzy_range() const { return m_pending_snapshot_digest.has_value(); }
    // A snapshot whose digest zxid equals its name zxid was not fuzzy, so its
    // digest is compared at load (ZooKeeper never compares it at all).
    const DigestCheck& load_check() const { return m_load_check; }

    const NodeMap& nodes() const { return m_nodes; }
    const DataNode* find(const std::string& path) const;
    const std::map<std::int64_t, std::int32_t>& sessions() const { return m_sessions; }
    // The ephemeral paths `session` owns (empty if none).
    std::vector<std::string> ephemerals_of(std::int64_t session) const;
    // The ACL list behind a node's ACL id (kOpenAclId: world:anyone, all perms).
    std::vector<Acl> acl_list(std::int64_t acl_id) const;
    const std::map<std::int64_t, std::vector<Acl>>& acls() const { return m_acls; }

private:
    friend class DataTreeBuilder;
    void begin_load();
    void load_acl(const SnapshotAcl& a);
    void load_node(const SnapshotNode& sn);
    void end_load(const SnapshotTrailer& trailer, std::int64_t name_zxid);
    std::int32_t apply_body(const TxnHeader& h, const TxnBody& body);
    std::int32_t create_node(const std::string& path, const Buffer& data, const AclList& acl, std::int64_t owner,
                             std::int32_t parent_cversion, std::int64_t zxid, std::int64_t time);
    std::int32_t delete_node(const std::string& path, std::int64_t zxid);
    void set_cversion_pzxid(const std::string& path, std::int32_t cversion, std::int64_t zxid);
    void kill_session(std::int64_t session, std::int64_t zxid, const std::vector<std::string>* paths);
    std::int64_t convert_acl(const AclList& acl);

    // Every change to a node goes between these two, like NodeHashMap's
    // preChange/postChange.
    void unhash(const std::string& path, DataNode& n);
    void rehash(const std::string& path, DataNode& n);
    void set_data(const std::string& path, DataNode& n, const Buffer& data);

    bool m_keep_data = true;
    NodeMap m_nodes;
    const WorkingSet* m_working_set = nullptr;  // during a sparse load
    PathSet m_parents_missed;                    // parents of kept ephemerals, passed over in a sparse load
    PathFingerprints m_unkept;                   // paths of the nodes a sparse load did not keep
    std::map<std::int64_t, std::vector<Acl>> m_acls;
    std::int64_t m_next_acl = 0;
    std::map<std::int64_t, std::int32_t> m_sessions;
    // Ephemeral paths by owning session, as DataTree.ephemerals: only owners
    // > 0 (EphemeralType NORMAL; negative owners are containers, TTLs or void).
    std::unordered_map<std::int64_t, std::set<std::string>> m_ephemerals;
    std::uint64_t m_digest = 0;
    std::int64_t m_last_zxid = 0;
    std::optional<ZxidDigest> m_pending_snapshot_digest;
    DigestCheck m_load_check;
};

// A tree built from a snapshot body handed to it piece by piece (a file
// being read, or a leader's SNAP stream): sessions, ACLs, nodes, then
// finish(zxid). Throws FormatError for a bad tree.
class DataTreeBuilder final : public SnapshotVisitor {
public:
    explicit DataTreeBuilder(bool keep_data = true, const WorkingSet* working_set = nullptr);
    void on_session(const SnapshotSession& s) override;
    void on_acl(const SnapshotAcl& a) override;
    void on_node(const SnapshotNode& n) override;
    // `name_zxid`: the zxid replay continues after; the trailer's digest, if
    // any, is compared when the tree reaches it.
    DataTree finish(std::int64_t name_zxid, const SnapshotTrailer& trailer = {});

private:
    DataTree m_tree;
};

// True when `next` can directly follow `prev` in one server's history: the
// next counter in the same epoch, or counter 1 of a later epoch.
bool zxid_follows(std::int64_t prev, std::int64_t next);

std::string parent_path(const std::string& path);

}  // namespace zabra::zab
