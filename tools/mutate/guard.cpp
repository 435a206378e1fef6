#include "tools/mutate/guard.h"

#include "libformat/common/live_use.h"

namespace zabra::tools {

namespace fs = std::filesystem;

fs::path backup_root(const fs::path& version2) {
    std::error_code ec;
    return fs::weakly_canonical(version2, ec).parent_path();
}

std::vector<std::string> live_signs(const fs::path& data_dir) {
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(data_dir, ec);
    return live_users(dir.filename() == "version-2" ? dir.parent_path() : dir);
}

}  // namespace zabra::tools
