// The tree as the next request sees it: the committed data tree plus the
// changes of txns prepared but not yet committed (ZooKeeper's
// outstandingChanges), and the tree digest those changes lead to, so that a
// proposal carries the digest of the tree after it before any tree holds it
// (doc/zabra-node-pipeline.md).
//
// A change is kept until the txn that made it, or a later one, is applied
// to the tree; a scratch layer over the view holds one multi's ops, merged
// when the multi succeeds and dropped when it fails.
#pragma once

#include "libformat/zab/data_tree.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zabra::node {

// What a request needs to know of a node.
struct NodeState {
    zab::StatPersisted stat;
    std::vector<zab::Acl> acl;
    std::int32_t child_count = 0;
    std::int32_t data_length = 0;
    std::uint32_t path_data_crc = 0;  // zab::path_data_crc: the node digest follows from it and the stat
};

class TreeView {
public:
    explicit TreeView(const zab::DataTree& tree) : m_tree(tree) {}
    // A scratch layer over `base` (one multi's ops).
    explicit TreeView(TreeView& base) : m_tree(base.m_tree), m_base(&base) {}
    TreeView(const TreeView&) = delete;
    TreeView& operator=(const TreeView&) = delete;

    // Paths as the tree keys them: "" for the root.
    std::optional<NodeState> get(const std::string& path) const;
    // The node as txn `zxid` leaves it; erase: txn `zxid` deletes it.
    void put(const std::string& path, NodeState n, std::int64_t zxid);
    void erase(const std::string& path, std::int64_t zxid);
    // Deletes a node as DataTree.deleteNode does: its parent loses a child
    // and takes `zxid` as its pzxid.
    void remove(const std::string& path, std::int64_t zxid);
    // A layer's changes become its base's.
    void merge_into_base();

    // The tree digest once every change seen here is applied.
    std::int64_t digest() const;
    // The ephemerals `session` owns once every change is applied, sorted.
    std::vector<std::string> ephemerals_of(std::int64_t session) const;

    // (Top level only.) The tree has just applied txn `zxid`; `digest_before`
    // is what digest() said before it did. Changes of that txn and earlier
    // ones are the tree's now and are dropped.
    void committed(std::int64_t zxid, std::int64_t digest_before);
    // Forgets every change: their txns will never be applied.
    void clear();
    std::size_t size() const { return m_changes.size(); }

private:
    struct Change {
        std::int64_t zxid = 0;
        std::optional<NodeState> node;  // nullopt: deleted
    };
    void set(const std::string& path, std::optional<NodeState> n, std::int64_t zxid);
    void collect(std::map<std::string, bool>& seen, std::int64_t session) const;

    const zab::DataTree& m_tree;
    TreeView* m_base = nullptr;
    std::map<std::string, Change> m_changes;
    std::uint64_t m_delta = 0;  // digest with these changes minus digest without them, mod 2^64
};

NodeState node_state(const zab::DataTree& tree, const zab::DataNode& n);

}  // namespace zabra::node
