#include "libformat/zab/zoo_cfg.h"

#include <fmt/format.h>

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

}  // namespace

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
