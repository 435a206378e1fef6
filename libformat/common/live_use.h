// Whether a server is using a data dir right now, so that nothing modifies
// it under a live ZooKeeper, zabra-node or etcd (doc/rollback.md §6).
// ZooKeeper takes no lock on its data dir; what can be seen is open files
// (/proc/*/fd), a live zookeeper_server.pid, and etcd's locks on its WAL.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace zabra {

// One line per sign of use found under `dir` (empty: none seen).
std::vector<std::string> live_users(const std::filesystem::path& dir);

}  // namespace zabra
