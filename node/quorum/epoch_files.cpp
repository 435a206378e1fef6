#include "node/quorum/epoch_files.h"

#include "libformat/common/java_text.h"
#include "libformat/common/safe_fs.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace zabra::node::quorum {

namespace fs = std::filesystem;

std::int64_t read_epoch_file(const fs::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw fs::filesystem_error("cannot read epoch file", file, std::make_error_code(std::errc::no_such_file_or_directory));
    }
    std::string line;
    std::getline(in, line);
    const std::optional<std::int64_t> v = java::parse_long(line);
    if (!v) throw std::runtime_error(fmt::format("Found {} in {}", line, file.string()));
    return *v;
}

void write_epoch_file(const fs::path& snap_dir, const char* name, std::int64_t value) {
    write_file_durably(snap_dir / name, std::to_string(value), snap_dir / (std::string(name) + ".tmp"));
}

Epochs load_epochs(const fs::path& snap_dir, std::int64_t last_zxid, const LogLine& log) {
    const std::int64_t epoch_of_zxid = last_zxid >> 32;
    Epochs e;
    auto read_or_create = [&](const char* name) {
        if (fs::exists(snap_dir / name)) return read_epoch_file(snap_dir / name);
        log(fmt::format("{} not found! Creating with a reasonable default of {}. This should only happen when you "
                        "are upgrading your installation",
                        name, epoch_of_zxid));
        write_epoch_file(snap_dir, name, epoch_of_zxid);
        return epoch_of_zxid;
    };
    e.current = read_or_create(kCurrentEpochFile);
    if (epoch_of_zxid > e.current) {
        // A write of currentEpoch was cut short between its temp file and the rename.
        const fs::path tmp = snap_dir / (std::string(kCurrentEpochFile) + ".tmp");
        if (!fs::exists(tmp)) {
            throw std::runtime_error(fmt::format("The current epoch, {:x}, is older than the last zxid, {}",
                                                 e.current, last_zxid));
        }
        e.current = read_epoch_file(tmp);
        log(fmt::format("{} found. Setting current epoch to {}.", tmp.string(), e.current));
        write_epoch_file(snap_dir, kCurrentEpochFile, e.current);
    }
    e.accepted = read_or_create(kAcceptedEpochFile);
    if (e.accepted < e.current) {
        throw std::runtime_error(fmt::format("The accepted epoch, {:x} is less than the current epoch, {:x}",
                                             e.accepted, e.current));
    }
    return e;
}

}  // namespace zabra::node::quorum
