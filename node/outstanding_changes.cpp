#include "node/outstanding_changes.h"

namespace zabra::node {

namespace {

std::uint64_t digest_of(const std::string& path, const std::optional<NodeState>& n) {
    if (!n || !zab::digest_counts(path)) return 0;
    return zab::node_digest_from_crc(n->path_data_crc, n->stat);
}

}  // namespace

NodeState node_state(const zab::DataTree& tree, const zab::DataNode& n) {
    NodeState s;
    s.stat = n.stat;
    s.acl = tree.acl_list(n.acl);
    s.child_count = n.children ? static_cast<std::int32_t>(n.children->size()) : 0;
    s.data_length = n.data ? static_cast<std::int32_t>(n.data->size()) : 0;
    s.path_data_crc = n.path_data_crc;
    return s;
}

std::optional<NodeState> TreeView::get(const std::string& path) const {
    if (auto it = m_changes.find(path); it != m_changes.end()) return it->second.node;
    if (m_base != nullptr) return m_base->get(path);
    const zab::DataNode* n = m_tree.find(path);
    if (n == nullptr) return std::nullopt;
    return node_state(m_tree, *n);
}

void TreeView::set(const std::string& path, std::optional<NodeState> n, std::int64_t zxid) {
    m_delta -= digest_of(path, get(path));
    m_delta += digest_of(path, n);
    m_changes[path] = Change{zxid, std::move(n)};
}

void TreeView::put(const std::string& path, NodeState n, std::int64_t zxid) { set(path, std::move(n), zxid); }

void TreeView::erase(const std::string& path, std::int64_t zxid) { set(path, std::nullopt, zxid); }

void TreeView::remove(const std::string& path, std::int64_t zxid) {
    const std::string parent = zab::parent_path(path);
    if (std::optional<NodeState> p = get(parent)) {
        --p->child_count;
        if (zxid > p->stat.pzxid) p->stat.pzxid = zxid;
        put(parent, std::move(*p), zxid);
    }
    erase(path, zxid);
}

void TreeView::merge_into_base() {
    if (m_base == nullptr) return;
    for (auto& [path, c] : m_changes) m_base->m_changes[path] = std::move(c);
    m_base->m_delta += m_delta;
    m_changes.clear();
    m_delta = 0;
}

std::int64_t TreeView::digest() const {
    const std::uint64_t below = m_base != nullptr ? static_cast<std::uint64_t>(m_base->digest())
                                                  : static_cast<std::uint64_t>(m_tree.digest());
    return static_cast<std::int64_t>(below + m_delta);
}

void TreeView::collect(std::map<std::string, bool>& seen, std::int64_t session) const {
    // The top layer decides: a path seen in an upper layer is not looked at again.
    for (const auto& [path, c] : m_changes) {
        seen.try_emplace(path, c.node && c.node->stat.ephemeral_owner == session);
    }
    if (m_base != nullptr) m_base->collect(seen, session);
}

std::vector<std::string> TreeView::ephemerals_of(std::int64_t session) const {
    std::map<std::string, bool> seen;
    collect(seen, session);
    for (std::string& p : m_tree.ephemerals_of(session)) seen.try_emplace(std::move(p), true);
    std::vector<std::string> out;
    for (const auto& [path, owned] : seen) {
        if (owned) out.push_back(path);
    }
    return out;
}

void TreeView::committed(std::int64_t zxid, std::int64_t digest_before) {
    for (auto it = m_changes.begin(); it != m_changes.end();) {
        it = it->second.zxid <= zxid ? m_changes.erase(it) : std::next(it);
    }
    // What is still outstanding leads to the same digest as before; the tree
    // now holds the rest of the way. With nothing outstanding, nothing is
    // added (a txn this view never prepared, as a follower's).
    m_delta = m_changes.empty() ? 0 : static_cast<std::uint64_t>(digest_before) - static_cast<std::uint64_t>(m_tree.digest());
}

void TreeView::clear() {
    m_changes.clear();
    m_delta = 0;
}

}  // namespace zabra::node
