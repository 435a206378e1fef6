// zabra-node's settings from a zoo.cfg (its lines are read by
// libformat/zab/zoo_cfg, which the tools' --config shares).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace zabra::node {

struct NodeConfig {
    std::filesystem::path data_dir;
    std::filesystem::path data_log_dir;  // defaults to data_dir
    std::uint16_t client_port = 2181;
    std::string client_port_address = "127.0.0.1";  // zabra-node binds loopback unless told otherwise
    std::int32_t tick_time_ms = 2000;
    std::int32_t min_session_timeout_ms = -1;
    std::int32_t max_session_timeout_ms = -1;
    std::int64_t snap_count = 100000;
    std::int64_t prealloc_kb = 65536;
    std::int64_t snap_size_limit_kb = 4194304;  // 4 GiB, ZooKeeper's default
    std::int32_t snap_retain_count = 3;
    std::int32_t max_client_cnxns = 60;
    std::set<std::string> four_letter_whitelist = {"srvr"};
    bool extended_types = false;  // zookeeper.extendedTypesEnabled (TTL nodes)
    std::int64_t container_check_interval_ms = 60000;  // znode.container.checkIntervalMs
    bool force_recover = false;
    // Every key read, in file order, with unknown ones kept (reported, not fatal).
    std::map<std::string, std::string> raw;
};

// Reads a zoo.cfg. Throws std::runtime_error naming the file, line and key
// for a malformed line or value.
NodeConfig read_config(const std::filesystem::path& file);
// Applies one "key=value" (from the file or a --set override).
void apply_setting(NodeConfig& c, const std::string& key, const std::string& value);

}  // namespace zabra::node
