#include "libformat/zab/zoo_cfg.h"

#include "libformat/common/java_text.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace zabra::zab {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\f");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\f");
    return s.substr(b, e - b + 1);
}

// Integer.parseInt, then InetSocketAddress's range check.
std::uint16_t port_of(const std::string& host, const std::string& text) {
    const std::optional<std::int64_t> v = java::parse_long(text);
    if (!v || *v < INT32_MIN || *v > INT32_MAX) {
        throw std::runtime_error(fmt::format("Address unresolved: {}:{}", host, text));
    }
    if (*v < 0 || *v > 65535) throw std::runtime_error(fmt::format("port out of range:{}", *v));
    return static_cast<std::uint16_t>(*v);
}

}  // namespace

std::vector<std::string> host_and_ports(const std::string& s) {
    if (s.empty() || s[0] != '[') return java::split(s, ':');
    const auto close = s.find(']');
    if (close == std::string::npos) throw std::runtime_error(s + " starts with '[' but has no matching ']'");
    if (close + 2 == s.size()) throw std::runtime_error(s + " doesn't have a port after colon");
    if (close + 2 > s.size()) return {s.substr(1, close - 1)};
    std::vector<std::string> parts{s.substr(1, close - 1)};
    for (auto& p : java::split(s.substr(close + 2), ':')) parts.push_back(std::move(p));
    return parts;
}

ZooCfgServer parse_zoo_cfg_server(const std::string& key, const std::string& value) {
    ZooCfgServer s;
    const std::string id = key.substr(key.find('.') + 1);
    const std::optional<std::int64_t> sid = java::parse_long(id);
    if (!sid) throw std::runtime_error(fmt::format("{}: \"{}\" is not a server id (a number)", key, id));
    s.sid = *sid;
    const std::string wrong_format = fmt::format(
        "{} does not have the form server_config or server_config;client_config where server_config is the pipe "
        "separated list of host:port:port or host:port:port:type and client_config is port or host:port",
        value);
    const std::vector<std::string> server_client = java::split(value, ';');
    if (server_client.empty() || server_client.size() > 2) throw std::runtime_error(wrong_format);
    if (server_client.size() == 2) {
        const std::vector<std::string> client = host_and_ports(server_client[1]);
        if (client.empty() || client.size() > 2) throw std::runtime_error(wrong_format);
        if (client.size() == 2) s.client_host = client[0];
        s.client_port = port_of(s.client_host.value_or("0.0.0.0"), client.back());
    }
    if (server_client[0].find('|') != std::string::npos) {
        throw std::runtime_error(fmt::format(
            "Multiple address feature is disabled, but multiple addresses were specified for sid {}", s.sid));
    }
    const std::vector<std::string> parts = host_and_ports(server_client[0]);
    if (parts.size() < 3 || parts.size() > 4) throw std::runtime_error(wrong_format);
    s.host = parts[0];
    s.quorum_port = port_of(s.host, parts[1]);
    s.election_port = port_of(s.host, parts[2]);
    if (s.quorum_port == s.election_port) {
        throw std::runtime_error(fmt::format(
            "Client and election port must be different! Please update the configuration file on server.{}", s.sid));
    }
    if (parts.size() == 4) {
        std::string type = parts[3];
        type.erase(0, type.find_first_not_of(" \t"));
        type.erase(type.find_last_not_of(" \t") + 1);
        for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (type == "observer") {
            s.observer = true;
        } else if (type != "participant") {
            throw std::runtime_error("Unrecognised peertype: " + parts[3]);
        }
    }
    return s;
}

std::vector<ZooCfgSetting> read_zoo_cfg(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("{}: cannot open", file.string()));
    std::vector<ZooCfgSetting> out;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == '!') continue;
        const auto eq = t.find_first_of("=:");
        if (eq == std::string::npos) {
            throw std::runtime_error(fmt::format("{}:{}: expected key=value, got \"{}\"", file.string(), n, t));
        }
        out.push_back({trim(t.substr(0, eq)), trim(t.substr(eq + 1)), n});
    }
    return out;
}

ZooCfgDirs zoo_cfg_dirs(const std::filesystem::path& file) {
    ZooCfgDirs d;
    for (const ZooCfgSetting& s : read_zoo_cfg(file)) {  // the last one wins, as in Properties
        if (s.key == "dataDir") d.data_dir = s.value;
        if (s.key == "dataLogDir") d.data_log_dir = s.value;
    }
    if (d.data_dir.empty()) throw std::runtime_error(fmt::format("{}: dataDir is not set", file.string()));
    if (d.data_log_dir.empty()) d.data_log_dir = d.data_dir;
    return d;
}

}  // namespace zabra::zab
