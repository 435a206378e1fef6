// zabra-node's settings from a zoo.cfg (its lines are read by
// libformat/zab/zoo_cfg, which the tools' --config shares).
#pragma once

#include "libformat/zab/zoo_cfg.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
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
    // The ensemble (doc/zookeeper-ensemble-config.md): server.N lines, myid, limits.
    std::map<std::int64_t, zab::ZooCfgServer> servers;
    std::int32_t init_limit = 0;  // ticks; required in an ensemble
    std::int32_t sync_limit = 0;
    bool standalone_enabled = true;
    bool reconfig_enabled = false;
    bool observer_peer_type = false;  // peerType=observer
    std::optional<std::int64_t> my_id;  // dataDir/myid, read by finish_config
    bool ensemble = false;              // set by finish_config: more than one participant, or standaloneEnabled=false
    // Every key read, in file order, with unknown ones kept (reported, not fatal).
    std::map<std::string, std::string> raw;
};

// Reads a zoo.cfg. Throws std::runtime_error naming the file, line and key
// for a malformed line or value.
NodeConfig read_config(const std::filesystem::path& file);
// Applies one "key=value" (from the file or a --set override).
void apply_setting(NodeConfig& c, const std::string& key, const std::string& value);

// Once every setting is in: decides standalone or ensemble as ZooKeeper's
// QuorumPeerConfig does, reads dataDir/myid for an ensemble, and checks what
// an ensemble needs. Throws std::runtime_error with ZooKeeper's words where
// ZooKeeper refuses the config, and with ours where zabra-node does (an
// observer, reconfigEnabled=true). `note` gets what ZooKeeper would log.
void finish_config(NodeConfig& c, const std::function<void(const std::string&)>& note);

}  // namespace zabra::node
