// What rollback and repair check before touching a data dir: a live server,
// and an earlier run that a crash interrupted.
#pragma once

#include "libformat/common/file_plan.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zabra::tools {

// The dir backups go to: dataDir (version-2's parent), outside version-2.
std::filesystem::path backup_root(const std::filesystem::path& version2);

// Signs that a server is using the data dir (`dir` and its version-2).
std::vector<std::string> live_signs(const std::filesystem::path& data_dir);

}  // namespace zabra::tools
