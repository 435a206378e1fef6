#include "node/watches.h"

namespace zabra::node {

namespace {

std::string parent_path_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

}  // namespace

void WatchManager::remove_watcher(std::uint64_t watcher) {
    for (auto* table : {&m_data, &m_child}) {
        for (auto it = table->begin(); it != table->end();) {
            it->second.erase(watcher);
            it = it->second.empty() ? table->erase(it) : std::next(it);
        }
    }
}

void WatchManager::trigger(std::map<std::string, std::set<std::uint64_t>>& table, const std::string& path,
                           std::int32_t type, std::vector<WatchEvent>& out, std::set<std::uint64_t>* already) {
    auto it = table.find(path);
    if (it == table.end()) return;
    for (const std::uint64_t w : it->second) {
        if (already != nullptr && already->contains(w)) continue;  // one event per watcher and path
        out.push_back({w, type, path});
        if (already != nullptr) already->insert(w);
    }
    table.erase(it);  // one-shot
}

void WatchManager::created(const std::string& path, std::vector<WatchEvent>& out) {
    trigger(m_data, path, event::node_created, out);
    trigger(m_child, parent_path_of(path), event::node_children_changed, out);
}

void WatchManager::deleted(const std::string& path, std::vector<WatchEvent>& out) {
    std::set<std::uint64_t> told;
    trigger(m_data, path, event::node_deleted, out, &told);
    trigger(m_child, path, event::node_deleted, out, &told);
    trigger(m_child, parent_path_of(path), event::node_children_changed, out);
}

void WatchManager::body(std::int32_t type, const zab::TxnBody& b, std::vector<WatchEvent>& out) {
    if (const auto* c = std::get_if<zab::CreateTxn>(&b)) return created(c->path, out);
    if (const auto* c = std::get_if<zab::CreateContainerTxn>(&b)) return created(c->path, out);
    if (const auto* c = std::get_if<zab::CreateTtlTxn>(&b)) return created(c->path, out);
    if (const auto* d = std::get_if<zab::DeleteTxn>(&b)) return deleted(d->path, out);
    if (const auto* s = std::get_if<zab::SetDataTxn>(&b)) {
        return trigger(m_data, s->path, event::node_data_changed, out);
    }
    if (const auto* c = std::get_if<zab::CloseSessionTxn>(&b); c && type == zab::op::closeSession) {
        if (c->paths_to_delete && *c->paths_to_delete) {
            for (const auto& p : **c->paths_to_delete) deleted(p, out);
        }
        return;
    }
    if (const auto* m = std::get_if<zab::MultiTxn>(&b); m && m->ops) {
        for (const auto& op : *m->ops) {
            if (op.type == zab::op::error) return;  // a failed multi changed nothing
        }
        for (const auto& op : *m->ops) body(op.type, op.body, out);
    }
}

std::vector<WatchEvent> WatchManager::fire(const zab::Txn& txn) {
    std::vector<WatchEvent> out;
    if (m_data.empty() && m_child.empty()) return out;
    body(txn.header.type, txn.body, out);
    return out;
}

std::vector<WatchEvent> WatchManager::reset(const zab::DataTree& tree, std::int64_t relative_zxid,
                                            const std::vector<std::string>& data,
                                            const std::vector<std::string>& exist,
                                            const std::vector<std::string>& child, std::uint64_t watcher) {
    std::vector<WatchEvent> out;
    auto find = [&tree](const std::string& p) { return tree.find(p == "/" ? std::string() : p); };
    for (const auto& p : data) {
        const zab::DataNode* n = find(p);
        if (n == nullptr) {
            out.push_back({watcher, event::node_deleted, p});
        } else if (n->stat.mzxid > relative_zxid) {
            out.push_back({watcher, event::node_data_changed, p});
        } else {
            add_data_watch(p, watcher);
        }
    }
    for (const auto& p : exist) {
        if (find(p) != nullptr) {
            out.push_back({watcher, event::node_created, p});
        } else {
            add_data_watch(p, watcher);
        }
    }
    for (const auto& p : child) {
        const zab::DataNode* n = find(p);
        if (n == nullptr) {
            out.push_back({watcher, event::node_deleted, p});
        } else if (n->stat.pzxid > relative_zxid) {
            out.push_back({watcher, event::node_children_changed, p});
        } else {
            add_child_watch(p, watcher);
        }
    }
    return out;
}

std::size_t WatchManager::data_watch_count() const {
    std::size_t n = 0;
    for (const auto& [p, w] : m_data) n += w.size();
    return n;
}

std::size_t WatchManager::watch_count() const {
    std::size_t n = data_watch_count();
    for (const auto& [p, w] : m_child) n += w.size();
    return n;
}

std::size_t WatchManager::watched_paths() const { return m_data.size(); }

std::size_t WatchManager::watching_connections() const {
    std::set<std::uint64_t> all;
    for (const auto& [p, w] : m_data) all.insert(w.begin(), w.end());
    return all.size();
}

}  // namespace zabra::node
