// zoo.cfg: "key=value" (or "key:value") lines, '#' and '!' comments, blanks
// around keys and values trimmed, as ZooKeeper's QuorumPeerConfig reads it
// through java.util.Properties (line continuations and escapes are not
// supported). zabra-node's config and the tools' --config both read it here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

struct ZooCfgSetting {
    std::string key, value;
    int line = 0;  // 1-based, for messages
};

// Every setting in file order. Throws std::runtime_error naming the file and
// line of a line that is neither blank, a comment, nor key=value.
std::vector<ZooCfgSetting> read_zoo_cfg(const std::filesystem::path& file);

// dataDir and dataLogDir, as ZooKeeper resolves them: dataLogDir defaults to
// dataDir; relative paths stay relative to the working dir (java.io.File).
struct ZooCfgDirs {
    std::filesystem::path data_dir, data_log_dir;
};
// Throws std::runtime_error when the file cannot be read or sets no dataDir.
ZooCfgDirs zoo_cfg_dirs(const std::filesystem::path& file);

// One member of an ensemble, from a "server.<sid>" line:
//   server.<sid> = <host>:<quorumPort>:<electionPort>[:participant|:observer][;[<clientHost>:]<clientPort>]
// (QuorumPeer.QuorumServer; a host may be an [IPv6] literal; several
// addresses joined by '|' need multiAddress.enabled, which is not supported).
struct ZooCfgServer {
    std::int64_t sid = 0;
    std::string host;
    std::uint16_t quorum_port = 0;
    std::uint16_t election_port = 0;
    bool observer = false;
    std::optional<std::uint16_t> client_port;  // the part after ';'
    std::optional<std::string> client_host;    // none when that part is a port alone (ZooKeeper: 0.0.0.0)
};

// ConfigUtils.getHostAndPort: "host:a:b..." split at ':' as Java's
// String.split does (trailing empty parts dropped), or "[v6]:a:b..." with
// the brackets taken off. Throws std::runtime_error for a '[' with no ']' or
// no port after it.
std::vector<std::string> host_and_ports(const std::string& s);

// Parses a "server.<sid>" key and its value. Throws std::runtime_error with
// ZooKeeper's own words for a line it refuses.
ZooCfgServer parse_zoo_cfg_server(const std::string& key, const std::string& value);

}  // namespace zabra::zab
