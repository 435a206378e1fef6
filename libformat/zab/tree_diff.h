// Node-level comparison of two ZooKeeper trees, from snapshots or replay.
#pragma once

#include "libformat/zab/data_dir.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/snapshot.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

struct NodeView {
    Buffer data;
    StatPersisted stat;
    AclList acl;  // resolved from the ACL cache; nullopt when the id is not in it
    bool operator==(const NodeView&) const = default;
};

using TreeView = std::map<std::string, NodeView>;  // path ("/" for the root) -> node

TreeView view_of(const Snapshot& snap);
TreeView view_of(const DataTree& tree);

struct NodeChange {
    enum class Kind { Added, Removed, Changed };
    Kind kind = Kind::Changed;
    std::string path;
    std::optional<NodeView> before, after;
    std::vector<std::string> fields;  // for Changed: data, acl, czxid, mzxid, ... that differ
};

std::vector<NodeChange> diff_trees(const TreeView& a, const TreeView& b);

// The tree of a data dir as it stood after txn `zxid`: the newest valid
// snapshot at or before it, plus the logs replayed up to it (from an empty
// tree when there is no such snapshot and the logs start at zxid 1).
// Throws std::runtime_error saying why when that state cannot be rebuilt.
DataTree tree_at(const std::vector<std::filesystem::path>& dirs, std::int64_t zxid);

}  // namespace zabra::zab
