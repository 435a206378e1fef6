#include "libformat/common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace zabra {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* what) {
    throw std::system_error(errno, std::generic_category(), std::string(what) + " " + path.string());
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : m_path(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, "cannot open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        errno = e;
        fail(path, "cannot stat");
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        errno = EINVAL;
        fail(path, "not a regular file:");
    }
    m_size = static_cast<std::size_t>(st.st_size);
    if (m_size > 0) {
        void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int e = errno;
            ::close(fd);
            errno = e;
            fail(path, "cannot map");
        }
        ::madvise(p, m_size, MADV_SEQUENTIAL);
        m_data = static_cast<const std::uint8_t*>(p);
    }
    m_fd = fd;
}

std::uint64_t MappedFile::next_data(std::uint64_t from) const {
    if (from >= m_size) return m_size;
    const off_t r = ::lseek(m_fd, static_cast<off_t>(from), SEEK_DATA);
    return r < 0 ? (errno == ENXIO ? m_size : from) : std::min<std::uint64_t>(static_cast<std::uint64_t>(r), m_size);
}

std::uint64_t MappedFile::next_hole(std::uint64_t from) const {
    if (from >= m_size) return m_size;
    const off_t r = ::lseek(m_fd, static_cast<off_t>(from), SEEK_HOLE);
    return r < 0 ? m_size : std::min<std::uint64_t>(static_cast<std::uint64_t>(r), m_size);
}

std::size_t MappedFile::read_at(std::uint64_t offset, std::uint8_t* dst, std::size_t n) const {
    std::size_t done = 0;
    while (done < n && offset + done < m_size) {
        const ssize_t r = ::pread(m_fd, dst + done, n - done, static_cast<off_t>(offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        done += static_cast<std::size_t>(r);
    }
    return done;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_data(other.m_data), m_size(other.m_size), m_fd(other.m_fd) {
    other.m_data = nullptr;
    other.m_size = 0;
    other.m_fd = -1;
}

void MappedFile::release_before(std::uint64_t offset) const {
    // Whole pages only: the page holding `offset` is still being read.
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    release(0, offset / page * page);
}

void MappedFile::release(std::uint64_t from, std::uint64_t to) const {
    // The map is read-only and private, so its pages are never dirty: dropping
    // a page that is partly outside [from, to) loses nothing either, it is
    // read back from the file if touched again.
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t begin = std::min<std::uint64_t>(from, m_size) / page * page;
    const std::uint64_t end = (std::min<std::uint64_t>(to, m_size) + page - 1) / page * page;
    if (m_data != nullptr && end > begin) {
        ::madvise(const_cast<std::uint8_t*>(m_data) + begin, end - begin, MADV_DONTNEED);
    }
}

MappedFile::~MappedFile() {
    if (m_data != nullptr) ::munmap(const_cast<std::uint8_t*>(m_data), m_size);
    if (m_fd >= 0) ::close(m_fd);  // kept open for SEEK_DATA/SEEK_HOLE
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

}  // namespace zabra
