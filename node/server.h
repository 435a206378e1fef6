// zabra-node's event loop: one thread owns the sockets, the sessions and the
// tree (Processor); the sync thread makes txns durable; a snapshot thread
// writes snapshot files. Requests are handled in arrival order across all
// connections, as ZooKeeper's pipeline does: a write is prepared at once and
// answered when its txn is durable; a read (or anything after it) waits until
// every earlier write is durable, so no reply shows what is not on disk.
#pragma once

#include "node/config.h"
#include "node/persistence.h"

#include <functional>
#include <string>

namespace zabra::node {

struct ServerOptions {
    NodeConfig config;
    LogLine log;
    std::string version = "3.8.0-zabra";
};

// Runs until SIGTERM or SIGINT; returns the process exit code. Throws
// std::runtime_error when it cannot start (bad data dir, port in use).
int run_server(const ServerOptions& options);

}  // namespace zabra::node
