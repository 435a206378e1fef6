#include "node/config.h"

#include "libformat/zab/zoo_cfg.h"

#include <fmt/format.h>

#include <charconv>
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
    }
    // Other keys (initLimit, syncLimit, autopurge.purgeInterval, server.N, ...)
    // are kept in `raw` and shown by `conf`; a standalone zabra-node needs none.
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
