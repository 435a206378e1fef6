#include "node/config.h"

#include "libformat/common/java_text.h"
#include "libformat/zab/zoo_cfg.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <stdexcept>

namespace zabra::node {

namespace {

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

template <class Int>
Int parse_int(const std::string& key, const std::string& value, Int lo, Int hi) {
    Int v{};
    const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    if (r.ec != std::errc() || r.ptr != value.data() + value.size() || v < lo || v > hi) {
        throw std::runtime_error(fmt::format("{}: \"{}\" is not a number in [{}, {}]", key, value, lo, hi));
    }
    return v;
}

bool parse_bool(const std::string& key, const std::string& value) {
    if (value == "true") return true;
    if (value == "false") return false;
    throw std::runtime_error(fmt::format("{}: \"{}\" is not true or false", key, value));
}

}  // namespace

void apply_setting(NodeConfig& c, const std::string& key, const std::string& value) {
    c.raw[key] = value;
    if (key == "dataDir") {
        c.data_dir = value;
    } else if (key == "dataLogDir") {
        c.data_log_dir = value;
    } else if (key == "clientPort") {
        c.client_port = parse_int<std::uint16_t>(key, value, 1, 65535);
    } else if (key == "clientPortAddress") {
        c.client_port_address = value;
    } else if (key == "tickTime") {
        c.tick_time_ms = parse_int<std::int32_t>(key, value, 1, 1 << 30);
    } else if (key == "minSessionTimeout") {
        c.min_session_timeout_ms = parse_int<std::int32_t>(key, value, -1, 1 << 30);
    } else if (key == "maxSessionTimeout") {
        c.max_session_timeout_ms = parse_int<std::int32_t>(key, value, -1, 1 << 30);
    } else if (key == "snapCount") {
        c.snap_count = parse_int<std::int64_t>(key, value, 2, std::int64_t{1} << 40);
    } else if (key == "preAllocSize") {
        c.prealloc_kb = parse_int<std::int64_t>(key, value, 0, std::int64_t{1} << 30);
    } else if (key == "snapSizeLimitInKb") {
        c.snap_size_limit_kb = parse_int<std::int64_t>(key, value, -1, std::int64_t{1} << 40);
    } else if (key == "autopurge.snapRetainCount") {
        c.snap_retain_count = parse_int<std::int32_t>(key, value, 3, 1 << 20);
    } else if (key == "maxClientCnxns") {
        c.max_client_cnxns = parse_int<std::int32_t>(key, value, 0, 1 << 20);
    } else if (key == "4lw.commands.whitelist") {
        c.four_letter_whitelist.clear();
        std::string word;
        for (char ch : value + ",") {
            if (ch == ',') {
                if (!trim(word).empty()) c.four_letter_whitelist.insert(trim(word));
                word.clear();
            } else {
                word += ch;
            }
        }
    } else if (key == "zookeeper.extendedTypesEnabled" || key == "extendedTypesEnabled") {
        c.extended_types = parse_bool(key, value);
    } else if (key == "znode.container.checkIntervalMs") {
        c.container_check_interval_ms = parse_int<std::int64_t>(key, value, 1, std::int64_t{1} << 40);
    } else if (key.starts_with("server.")) {
        zab::ZooCfgServer server = zab::parse_zoo_cfg_server(key, value);
        c.servers[server.sid] = std::move(server);  // a repeated key: the last wins, as in Properties
    } else if (key == "initLimit") {
        c.init_limit = parse_int<std::int32_t>(key, value, 0, 1 << 30);
    } else if (key == "syncLimit") {
        c.sync_limit = parse_int<std::int32_t>(key, value, 0, 1 << 30);
    } else if (key == "electionAlg") {
        if (value != "3") throw std::runtime_error("Invalid electionAlg value. Only 3 is supported.");
    } else if (key == "peerType") {
        std::string v = value;
        for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (v != "observer" && v != "participant") throw std::runtime_error("Unrecognised peertype: " + value);
        c.observer_peer_type = v == "observer";
    } else if (key == "standaloneEnabled") {
        c.standalone_enabled = parse_bool(key, value);
    } else if (key == "reconfigEnabled") {
        c.reconfig_enabled = parse_bool(key, value);
    } else if (key.starts_with("group.") || key.starts_with("weight.")) {
        throw std::runtime_error(fmt::format("{}: hierarchical quorums (group./weight.) are not supported by zabra-node",
                                             key));
    }
    // Other keys (autopurge.purgeInterval, ...) are kept in `raw` and shown by `conf`.
}

void finish_config(NodeConfig& c, const std::function<void(const std::string&)>& note) {
    std::size_t participants = 0, observers = 0;
    for (const auto& [sid, s] : c.servers) (s.observer ? observers : participants) += 1;
    // QuorumPeerConfig.parseDynamicConfig
    if (participants == 0) {
        if (!c.standalone_enabled) {
            throw std::runtime_error("standaloneEnabled = false then number of participants should be >0");
        }
        if (observers > 0) throw std::runtime_error("Observers w/o participants is an invalid configuration");
    } else if (participants == 1 && c.standalone_enabled) {
        note("Invalid configuration, only one server specified (ignoring)");
        if (observers > 0) throw std::runtime_error("Observers w/o quorum is an invalid configuration");
    } else if (participants <= 2) {
        note("No server failure will be tolerated. You need at least 3 servers.");
    } else if (participants % 2 == 0) {
        note("Non-optimal configuration, consider an odd number of servers.");
    }
    // setupMyId: the first line of dataDir/myid, a decimal long (no blanks).
    const std::filesystem::path myid_file = c.data_dir / "myid";
    if (std::filesystem::is_regular_file(myid_file)) {
        std::ifstream in(myid_file);
        std::string line;
        std::getline(in, line);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        c.my_id = java::parse_long(line);
        if (!c.my_id) throw std::runtime_error(fmt::format("serverid {} is not a number", line));
    }
    c.ensemble = participants > 1 || (participants > 0 && !c.standalone_enabled);
    if (c.my_id) {
        // setupClientPort: the server line's client address, if any, is the one.
        auto it = c.servers.find(*c.my_id);
        if (it != c.servers.end() && it->second.client_port) {
            const zab::ZooCfgServer& s = it->second;
            const std::string host = s.client_host.value_or("0.0.0.0");
            const bool any = c.raw.count("clientPortAddress") == 0 || c.client_port_address == "0.0.0.0";
            if (c.raw.count("clientPort") != 0 &&
                ((!any && (c.client_port_address != host || c.client_port != *s.client_port)) ||
                 (any && c.client_port != *s.client_port))) {
                throw std::runtime_error(fmt::format(
                    "client address for this server (id = {}) in static config file is {}:{} is different from "
                    "client address found in dynamic file: {}:{}",
                    *c.my_id, any ? "0.0.0.0" : c.client_port_address, c.client_port, host, *s.client_port));
            }
            c.client_port = *s.client_port;
            // A port alone keeps zabra-node's loopback default (ZooKeeper binds every address).
            if (s.client_host) c.client_port_address = *s.client_host;
        }
    }
    if (!c.ensemble) return;
    // checkValidity
    if (c.init_limit == 0) throw std::runtime_error("initLimit is not set");
    if (c.sync_limit == 0) throw std::runtime_error("syncLimit is not set");
    if (!c.my_id) throw std::runtime_error("myid file is missing");
    if (c.servers.count(*c.my_id) == 0) {
        throw std::runtime_error(fmt::format("My id {} not in the peer list", *c.my_id));
    }
    // What zabra-node does not implement (ZooKeeper would run these).
    if (c.reconfig_enabled) {
        throw std::runtime_error("reconfigEnabled=true: zabra-node does not implement dynamic reconfiguration; "
                                 "set reconfigEnabled=false (ZooKeeper's default)");
    }
    for (const auto& [sid, s] : c.servers) {
        if (s.observer) {
            throw std::runtime_error(fmt::format(
                "server.{} is an observer: zabra-node does not implement observers; make it a participant or remove "
                "the line", sid));
        }
    }
    if (c.observer_peer_type) {
        throw std::runtime_error("peerType=observer: zabra-node does not implement observers");
    }
}

NodeConfig read_config(const std::filesystem::path& file) {
    NodeConfig c;
    for (const zab::ZooCfgSetting& s : zab::read_zoo_cfg(file)) {
        try {
            apply_setting(c, s.key, s.value);
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(fmt::format("{}:{}: {}", file.string(), s.line, e.what()));
        }
    }
    if (c.data_dir.empty()) throw std::runtime_error(fmt::format("{}: dataDir is not set", file.string()));
    if (c.data_log_dir.empty()) c.data_log_dir = c.data_dir;
    return c;
}

}  // namespace zabra::node
