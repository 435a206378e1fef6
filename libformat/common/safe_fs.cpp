#include "libformat/common/safe_fs.h"

#include "libformat/common/mapped_file.h"
#include "libformat/common/bytes.h"
#include "libformat/common/sha1.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace zabra {

namespace fs = std::filesystem;

namespace {

std::uint64_t g_points = 0;

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

class Fd {
public:
    Fd(const fs::path& p, int flags, mode_t mode = 0644) : m_fd(::open(p.c_str(), flags | O_CLOEXEC, mode)) {
        if (m_fd < 0) fail("open " + p.string());
    }
    ~Fd() {
        if (m_fd >= 0) ::close(m_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

void write_all(int fd, const char* data, std::size_t n, const fs::path& p) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fail("write " + p.string());
        data += w;
        n -= static_cast<std::size_t>(w);
    }
}

void fsync_fd(int fd, const fs::path& p) {
    mutation_point("fsync");
    if (::fsync(fd) != 0) fail("fsync " + p.string());
}

fs::path temp_beside(const fs::path& p) { return p.parent_path() / (".zabra-tmp." + p.filename().string()); }

}  // namespace

void mutation_point(const char* what) {
    ++g_points;
    static const char* at = std::getenv("ZABRA_CRASH_AT");
    if (at != nullptr && std::strtoull(at, nullptr, 10) == g_points) {
        std::fprintf(stderr, "zabra: ZABRA_CRASH_AT=%s: killed at mutation point %llu (%s)\n", at,
                     static_cast<unsigned long long>(g_points), what);
        ::kill(::getpid(), SIGKILL);
    }
}

std::uint64_t mutation_points_passed() { return g_points; }

void fsync_dir(const fs::path& dir) {
    Fd fd(dir, O_RDONLY | O_DIRECTORY);
    fsync_fd(fd.get(), dir);
}

void write_file_durably(const fs::path& path, std::string_view bytes) {
    write_file_durably(path, bytes, temp_beside(path));
}

void write_file_durably(const fs::path& path, std::string_view bytes, const fs::path& tmp) {
    {
        mutation_point("write");
        Fd fd(tmp, O_WRONLY | O_CREAT | O_TRUNC);
        write_all(fd.get(), bytes.data(), bytes.size(), tmp);
        fsync_fd(fd.get(), tmp);
    }
    mutation_point("rename");
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename " + tmp.string());
    fsync_dir(path.parent_path());
}

void copy_file_durably(const fs::path& from, const fs::path& to) {
    const fs::path tmp = temp_beside(to);
    {
        MappedFile src(from);
        mutation_point("write");
        Fd fd(tmp, O_WRONLY | O_CREAT | O_TRUNC);
        const auto b = src.bytes();
        // Zero blocks become holes: a 64 MiB preallocated log mostly holds
        // none, and a backup must not fill the disk it is meant to protect.
        constexpr std::size_t kBlock = 64 * 1024;
        for (std::size_t at = 0; at < b.size(); at += kBlock) {
            const std::size_t n = std::min(kBlock, b.size() - at);
            if (all_zero(b.subspan(at, n))) continue;
            if (::lseek(fd.get(), static_cast<off_t>(at), SEEK_SET) < 0) fail("seek " + tmp.string());
            write_all(fd.get(), reinterpret_cast<const char*>(b.data() + at), n, tmp);
        }
        if (::ftruncate(fd.get(), static_cast<off_t>(b.size())) != 0) fail("truncate " + tmp.string());
        fsync_fd(fd.get(), tmp);
    }
    mutation_point("rename");
    if (::rename(tmp.c_str(), to.c_str()) != 0) fail("rename " + tmp.string());
    fsync_dir(to.parent_path());
}

void truncate_durably(const fs::path& path, std::uint64_t size) {
    Fd fd(path, O_WRONLY);
    mutation_point("truncate");
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) fail("truncate " + path.string());
    fsync_fd(fd.get(), path);
}

void move_durably(const fs::path& from, const fs::path& to) {
    mutation_point("rename");
    if (::rename(from.c_str(), to.c_str()) == 0) {
        fsync_dir(to.parent_path());
        if (to.parent_path() != from.parent_path()) fsync_dir(from.parent_path());
        return;
    }
    if (errno != EXDEV) fail("rename " + from.string() + " to " + to.string());
    copy_file_durably(from, to);
    mutation_point("unlink");
    if (::unlink(from.c_str()) != 0) fail("unlink " + from.string());
    fsync_dir(from.parent_path());
}

std::string file_sha1(const fs::path& path) {
    MappedFile m(path);
    Sha1 h;
    const auto b = m.bytes();
    for (std::size_t at = 0; at < b.size(); at += 1 << 20) {
        const std::size_t n = std::min<std::size_t>(1 << 20, b.size() - at);
        h.update(std::string_view(reinterpret_cast<const char*>(b.data()) + at, n));
    }
    std::string out;
    for (const auto c : h.finish()) out += fmt::format("{:02x}", c);
    return out;
}

}  // namespace zabra
