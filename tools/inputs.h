// Makes bundles (.tar.zst from zabra pack) and single zstd-compressed files
// readable by every command: they are unpacked into a private temp dir that
// lives as long as this object, and the commands get plain paths.
#pragma once

#include "tools/shown_paths.h"

#include <filesystem>
#include <string>
#include <vector>

namespace zabra::tools {

class Inputs {
public:
    Inputs() = default;
    ~Inputs();
    Inputs(const Inputs&) = delete;
    Inputs& operator=(const Inputs&) = delete;

    // Returns the paths to use instead of `paths`; throws std::exception with
    // a message naming the input when one cannot be unpacked.
    std::vector<std::string> resolve(const std::vector<std::string>& paths);

    // How to show the unpacked paths: a bundle's files as BUNDLE:version-2/log.N,
    // a .zst file as itself.
    const PathNames& shown_names() const { return m_names; }

private:
    std::filesystem::path temp_dir();
    std::filesystem::path m_temp;
    int m_count = 0;
    PathNames m_names;
};

}  // namespace zabra::tools
