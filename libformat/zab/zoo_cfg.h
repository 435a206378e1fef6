// zoo.cfg: "key=value" (or "key:value") lines, '#' and '!' comments, blanks
// around keys and values trimmed, as ZooKeeper's QuorumPeerConfig reads it
// through java.util.Properties (line continuations and escapes are not
// supported). zabra-node's config and the tools' --config both read it here.
#pragma once

#include <filesystem>
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

}  // namespace zabra::zab
