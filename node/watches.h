// One-shot watches, as ZooKeeper's WatchManager: data watches (getData,
// exists) and child watches (getChildren), per connection. A txn fires them
// as it is applied; the events are sent once the txn is durable, before the
// writer's reply.
#pragma once

#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace zabra::node {

// Watcher.Event.EventType
namespace event {
constexpr std::int32_t node_created = 1;
constexpr std::int32_t node_deleted = 2;
constexpr std::int32_t node_data_changed = 3;
constexpr std::int32_t node_children_changed = 4;
}  // namespace event
constexpr std::int32_t kSyncConnected = 3;

struct WatchEvent {
    std::uint64_t watcher = 0;  // connection id
    std::int32_t type = 0;
    std::string path;
};

class WatchManager {
public:
    void add_data_watch(const std::string& path, std::uint64_t watcher) { m_data[path].insert(watcher); }
    void add_child_watch(const std::string& path, std::uint64_t watcher) { m_child[path].insert(watcher); }
    void remove_watcher(std::uint64_t watcher);

    // The events `txn` fires (and the watches they use up). Call with the
    // tree as it was before the txn was applied (a multi that failed fires nothing).
    std::vector<WatchEvent> fire(const zab::Txn& txn);

    // setWatches after a reconnect: re-arms the watches, or fires at once
    // for what changed after `relative_zxid` (WatchManager on reconnect).
    std::vector<WatchEvent> reset(const zab::DataTree& tree, std::int64_t relative_zxid,
                                  const std::vector<std::string>& data, const std::vector<std::string>& exist,
                                  const std::vector<std::string>& child, std::uint64_t watcher);

    std::size_t watch_count() const;      // data + child watches
    std::size_t data_watch_count() const;
    std::size_t watched_paths() const;    // paths with a data watch (wchs)
    std::size_t watching_connections() const;

private:
    void trigger(std::map<std::string, std::set<std::uint64_t>>& table, const std::string& path, std::int32_t type,
                 std::vector<WatchEvent>& out, std::set<std::uint64_t>* already = nullptr);
    void created(const std::string& path, std::vector<WatchEvent>& out);
    void deleted(const std::string& path, std::vector<WatchEvent>& out);
    void body(std::int32_t type, const zab::TxnBody& b, std::vector<WatchEvent>& out);

    std::map<std::string, std::set<std::uint64_t>> m_data;
    std::map<std::string, std::set<std::uint64_t>> m_child;
};

}  // namespace zabra::node
