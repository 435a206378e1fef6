#include "libformat/common/live_use.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <vector>

namespace zabra {

namespace fs = std::filesystem;

namespace {

std::string comm_of(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/comm");
    std::string c;
    std::getline(in, c);
    return c.empty() ? "?" : c;
}

bool under(const fs::path& p, const fs::path& root) {
    const std::string a = p.string(), b = root.string();
    return a.size() > b.size() && a.compare(0, b.size(), b) == 0 && a[b.size()] == '/';
}

// A file of the process open under `root`.
std::optional<fs::path> open_under(const fs::path& proc, const fs::path& root) {
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator(proc / "fd", ec)) {
        std::error_code lec;
        const fs::path target = fs::read_symlink(fd.path(), lec);
        if (!lec && under(target, root)) return target;
    }
    return std::nullopt;
}

// The argument with which the process was started on `root`: a config
// naming it as `dataDir=` / `dataLogDir=` (ZooKeeper, zabra-node), or
// --data-dir / --wal-dir (etcd), even before it has a file open there.
std::optional<std::string> started_on(const fs::path& proc, const fs::path& root) {
    std::ifstream cmd(proc / "cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string a; std::getline(cmd, a, '\0');) args.push_back(a);
    std::error_code ec;
    const fs::path cwd = fs::read_symlink(proc / "cwd", ec);
    auto resolve = [&cwd](const std::string& value) { return fs::path(value).is_relative() ? cwd / value : fs::path(value); };
    auto names_root = [&](const std::string& value) {
        std::error_code e2;
        const fs::path c = fs::weakly_canonical(resolve(value), e2);
        return !e2 && (c == root || under(c, root));
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string dir;
        if ((a == "--data-dir" || a == "--wal-dir") && i + 1 < args.size()) dir = args[i + 1];
        if (a.starts_with("--data-dir=") || a.starts_with("--wal-dir=")) dir = a.substr(a.find('=') + 1);
        if (!dir.empty() && names_root(dir)) return fmt::format("was started with {}", a);
        std::error_code e2;
        const fs::path cfg = resolve(a);
        if (a.empty() || a[0] == '-' || !fs::is_regular_file(cfg, e2) || fs::file_size(cfg, e2) > (1 << 20)) continue;
        std::ifstream in(cfg);
        for (std::string line; std::getline(in, line);) {
            for (const std::string key : {"dataDir=", "dataLogDir="}) {
                if (line.rfind(key, 0) == 0 && names_root(line.substr(key.size()))) {
                    return fmt::format("serves this dir (its config {})", cfg.string());
                }
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::string> live_users(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(dir, ec);
    const std::string self = std::to_string(::getpid());
    for (const auto& proc : fs::directory_iterator("/proc", ec)) {
        const std::string pid = proc.path().filename().string();
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos || pid == self) continue;
        if (const auto file = open_under(proc.path(), root)) {
            out.push_back(fmt::format("process {} ({}) has {} open", pid, comm_of(pid), file->string()));
        } else if (const auto how = started_on(proc.path(), root)) {
            out.push_back(fmt::format("process {} ({}) {}", pid, comm_of(pid), *how));
        }
    }
    // zkServer.sh writes the server's pid into dataDir.
    for (const fs::path& pidfile : {root / "zookeeper_server.pid", root.parent_path() / "zookeeper_server.pid"}) {
        std::ifstream in(pidfile);
        long pid = 0;
        if (in >> pid && pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
            out.push_back(fmt::format("{} names process {}, which is running", pidfile.string(), pid));
        }
    }
    // etcd locks every WAL segment it holds (flock, or an OFD lock).
    for (const fs::path& wal : {root / "member" / "wal", root / "wal", root}) {
        for (const auto& e : fs::directory_iterator(wal, ec)) {
            if (e.path().extension() != ".wal") continue;
            const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            struct flock probe {};
            probe.l_type = F_WRLCK;
            probe.l_whence = SEEK_SET;
            const bool ofd_locked = ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
            const bool flocked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
            ::close(fd);
            if (ofd_locked || flocked) out.push_back(fmt::format("{} is locked (etcd holds its WAL locked)", e.path().string()));
        }
    }
    return out;
}

}  // namespace zabra
