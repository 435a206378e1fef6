#include "libformat/pack/bundle.h"

#include "libformat/common/error.h"
#include "libformat/common/mapped_file.h"
#include "libformat/common/zstd_codec.h"
#include "libformat/zab/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>
#include <system_error>

namespace zabra::pack {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBlock = 512;
constexpr const char* kManifest = "zabra-pack.manifest";
constexpr std::uint64_t kMaxRestoredSize = 64ull << 30;  // a sparse tail larger than this is not believed

[[noreturn]] void sys_fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void octal(char* field, std::size_t width, std::uint64_t v) {
    const std::string s = fmt::format("{:0{}o}", v, width - 1);
    std::memcpy(field, s.data(), width - 1);
    field[width - 1] = '\0';
}

std::string ustar_header(const std::string& name, std::uint64_t size, std::int64_t mtime) {
    if (name.size() > 99) throw std::runtime_error("name too long for the bundle: " + name);
    char h[kBlock] = {};
    std::memcpy(h, name.data(), name.size());
    octal(h + 100, 8, 0644);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, size);
    octal(h + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
    std::memset(h + 148, ' ', 8);
    h[156] = '0';
    std::memcpy(h + 257, "ustar\0" "00", 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    const std::string chk = fmt::format("{:06o}", sum);
    std::memcpy(h + 148, chk.data(), 6);
    h[154] = '\0';
    return std::string(h, kBlock);
}

std::optional<std::uint64_t> parse_octal(const char* field, std::size_t width) {
    std::size_t i = 0;
    while (i < width && field[i] == ' ') ++i;
    std::size_t j = i;
    while (j < width && field[j] >= '0' && field[j] <= '7') ++j;
    if (j == i) return std::nullopt;
    std::uint64_t v = 0;
    std::from_chars(field + i, field + j, v, 8);
    return v;
}

class FileWriter {
public:
    explicit FileWriter(const fs::path& p) : m_path(p) {
        m_fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m_fd < 0) sys_fail("cannot create " + p.string());
    }
    ~FileWriter() {
        if (m_fd >= 0) ::close(m_fd);
    }
    void write(ByteSpan b) {
        while (!b.empty()) {
            const ssize_t n = ::write(m_fd, b.data(), b.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                sys_fail("write to " + m_path.string());
            }
            b = b.subspan(static_cast<std::size_t>(n));
            m_size += static_cast<std::uint64_t>(n);
        }
    }
    void sync_and_close() {
        if (::fsync(m_fd) != 0) sys_fail("fsync " + m_path.string());
        if (::close(m_fd) != 0) sys_fail("close " + m_path.string());
        m_fd = -1;
    }
    int fd() const { return m_fd; }
    std::uint64_t size() const { return m_size; }

private:
    fs::path m_path;
    int m_fd = -1;
    std::uint64_t m_size = 0;
};

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) sys_fail("cannot open " + dir.string());
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) sys_fail("fsync " + dir.string());
}

}  // namespace

std::uint64_t log_keep_size(ByteSpan log) {
    std::size_t end = log.size();
    // Preallocated tails are megabytes of zeros: skip them a block at a time.
    while (end >= 4096 && all_zero(log.subspan(end - 4096, 4096))) end -= 4096;
    while (end > 0 && log[end - 1] == 0) --end;
    return std::max<std::uint64_t>(end, std::min<std::size_t>(log.size(), 16));
}

PackReport pack_data_dirs(const std::vector<fs::path>& dirs, const fs::path& out, const PackOptions& options) {
    PackReport report;
    const fs::path tmp = out.string() + ".tmp";
    FileWriter file(tmp);
    ZstdWriter z(options.level, [&](ByteSpan b) { file.write(b); });
    std::set<std::string> done;

    auto add = [&](const fs::path& src, const std::string& name, bool is_log) {
        if (!done.insert(name).second) return;
        MappedFile m(src);
        const ByteSpan all = m.bytes();
        const std::uint64_t keep = is_log ? log_keep_size(all) : all.size();
        struct stat st {};
        ::stat(src.c_str(), &st);
        z.write(as_bytes(ustar_header(name, keep, st.st_mtime)));
        z.write(all.subspan(0, keep));
        const std::string pad((kBlock - keep % kBlock) % kBlock, '\0');
        z.write(as_bytes(pad));
        report.files.push_back({name, all.size(), keep});
        report.original_bytes += all.size();
    };
    auto pass = [&] {
        std::vector<zab::DataFile> logs, snaps;
        std::vector<fs::path> other;
        for (const auto& d : dirs) {
            zab::DataDir dd = zab::list_data_dir(d);
            for (auto& f : dd.logs) logs.push_back(std::move(f));
            for (auto& f : dd.snapshots) snaps.push_back(std::move(f));
            for (const char* epoch : {"currentEpoch", "acceptedEpoch", "currentEpoch.tmp", "acceptedEpoch.tmp"}) {
                if (fs::exists(dd.version2 / epoch)) other.push_back(dd.version2 / epoch);
            }
        }
        auto by_zxid = [](const zab::DataFile& a, const zab::DataFile& b) { return a.name.zxid < b.name.zxid; };
        std::sort(logs.begin(), logs.end(), by_zxid);
        std::sort(snaps.begin(), snaps.end(), by_zxid);
        // Snapshots, then logs oldest to newest: whatever a snapshot needs
        // after it was written is in a log copied later.
        for (const auto& f : snaps) add(f.path, "version-2/" + f.path.filename().string(), false);
        for (const auto& f : logs) add(f.path, "version-2/" + f.path.filename().string(), true);
        for (const auto& p : other) add(p, "version-2/" + p.filename().string(), false);
    };
    pass();
    pass();  // logs a live server started while we copied

    std::string manifest = "zabra-pack 1\n";
    for (const auto& f : report.files) manifest += fmt::format("{}\t{}\t{}\n", f.name, f.original_size, f.packed_size);
    z.write(as_bytes(ustar_header(kManifest, manifest.size(), 0)));
    z.write(as_bytes(manifest));
    z.write(as_bytes(std::string((kBlock - manifest.size() % kBlock) % kBlock, '\0')));
    z.write(as_bytes(std::string(2 * kBlock, '\0')));
    z.finish();
    report.bundle_bytes = file.size();
    file.sync_and_close();
    if (::rename(tmp.c_str(), out.c_str()) != 0) sys_fail("rename " + tmp.string());
    fsync_dir(out.parent_path().empty() ? fs::path(".") : out.parent_path());
    return report;
}

bool is_bundle(ByteSpan data) {
    if (!is_zstd(data)) return false;
    try {
        auto src = make_zstd_source(data);
        std::uint8_t h[kBlock];
        std::size_t got = 0;
        while (got < kBlock) {
            const std::size_t n = src->read(h + got, kBlock - got);
            if (n == 0) break;
            got += n;
        }
        return got == kBlock && std::memcmp(h + 257, "ustar", 5) == 0;
    } catch (const FormatError&) {
        return false;
    }
}

void extract_bundle(ByteSpan bundle, const fs::path& dest) {
    auto src = make_zstd_source(bundle);
    std::uint64_t consumed = 0;
    auto read_exact = [&](std::uint8_t* p, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const std::size_t k = src->read(p + got, n - got);
            if (k == 0) {
                throw TruncatedError(fmt::format("bundle ends inside an entry (archive offset {})", consumed + got),
                                     consumed + got);
            }
            got += k;
        }
        consumed += n;
    };
    std::string manifest;
    std::vector<std::uint8_t> buf(1 << 16);
    for (;;) {
        std::uint8_t h[kBlock];
        read_exact(h, kBlock);
        if (std::all_of(h, h + kBlock, [](std::uint8_t c) { return c == 0; })) break;  // end of archive
        const std::uint64_t at = consumed - kBlock;
        const std::string name(reinterpret_cast<const char*>(h), strnlen(reinterpret_cast<const char*>(h), 100));
        const auto size = parse_octal(reinterpret_cast<const char*>(h) + 124, 12);
        const char type = static_cast<char>(h[156]);
        if (!size || std::memcmp(h + 257, "ustar", 5) != 0) {
            throw FormatError(fmt::format("bundle: bad entry header at archive offset {}", at), at);
        }
        const fs::path rel(name);
        const bool unsafe = name.empty() || rel.is_absolute() ||
                            std::any_of(rel.begin(), rel.end(), [](const fs::path& c) { return c == ".."; });
        if (unsafe || (type != '0' && type != '\0')) {
            throw FormatError(fmt::format("bundle: refusing entry {:?} (type {:?}) at archive offset {}", name,
                                          std::string(1, type), at),
                              at);
        }
        const std::uint64_t padded = (*size + kBlock - 1) / kBlock * kBlock;
        if (name == kManifest) {
            if (*size > (16u << 20)) throw FormatError("bundle: manifest too large", at);
            manifest.resize(*size);
            read_exact(reinterpret_cast<std::uint8_t*>(manifest.data()), *size);
            std::vector<std::uint8_t> pad(padded - *size);
            read_exact(pad.data(), pad.size());
            continue;
        }
        fs::create_directories((dest / rel).parent_path());
        FileWriter out(dest / rel);
        for (std::uint64_t left = *size; left > 0;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
            read_exact(buf.data(), n);
            out.write({buf.data(), n});
            left -= n;
        }
        const std::uint64_t mtime = parse_octal(reinterpret_cast<const char*>(h) + 136, 12).value_or(0);
        const struct timespec times[2] = {{static_cast<time_t>(mtime), 0}, {static_cast<time_t>(mtime), 0}};
        ::futimens(out.fd(), times);
        for (std::uint64_t left = padded - *size; left > 0;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
            read_exact(buf.data(), n);
            left -= n;
        }
    }
    // Give logs back their preallocated size (as a sparse zero tail).
    std::istringstream in(manifest);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        std::uint64_t original = 0, packed = 0;
        if (!std::getline(fields, name, '\t') || !(fields >> original >> packed)) continue;
        const fs::path p = dest / fs::path(name);
        std::error_code ec;
        if (original > packed && original <= kMaxRestoredSize && fs::is_regular_file(p, ec) &&
            fs::file_size(p, ec) == packed && p.lexically_normal().string().starts_with(dest.lexically_normal().string())) {
            fs::resize_file(p, original, ec);
        }
    }
}

}  // namespace zabra::pack
