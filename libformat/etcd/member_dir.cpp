#include "libformat/etcd/member_dir.h"

#include "libformat/common/bytes.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>

namespace zabra::etcd {

namespace fs = std::filesystem;

namespace {

std::optional<std::uint64_t> hex16(std::string_view s) {
    if (s.size() != 16) return std::nullopt;
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    }
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v, 16);
    return v;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> two_hex(std::string_view name, std::string_view ext) {
    if (name.size() != 33 + ext.size() || name[16] != '-' || !name.ends_with(ext)) return std::nullopt;
    const auto a = hex16(name.substr(0, 16));
    const auto b = hex16(name.substr(17, 16));
    if (!a || !b) return std::nullopt;
    return std::pair{*a, *b};
}

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

// A WAL segment starts with a crc record: length word 04..84 or 08..00 then 08 04.
bool starts_like_wal(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    char b[10] = {};
    if (!in.read(b, sizeof b)) return false;
    return b[8] == 0x08 && b[9] == 0x04 && (static_cast<std::uint8_t>(b[7]) & 0x78) == 0;
}

}  // namespace

const char* record_type_name(std::uint64_t type) {
    switch (type) {
    case 1: return "metadata";
    case 2: return "entry";
    case 3: return "state";
    case 4: return "crc";
    case 5: return "snapshot";
    default: return "unknown";
    }
}

std::optional<SegmentName> parse_segment_name(std::string_view name) {
    const auto v = two_hex(name, ".wal");
    if (!v) return std::nullopt;
    return SegmentName{v->first, v->second};
}

std::string segment_file_name(std::uint64_t seq, std::uint64_t index) {
    return fmt::format("{:016x}-{:016x}.wal", seq, index);
}

std::optional<SnapName> parse_snap_name(std::string_view name) {
    const auto v = two_hex(name, ".snap");
    if (!v) return std::nullopt;
    return SnapName{v->first, v->second};
}

std::string snap_file_name(std::uint64_t term, std::uint64_t index) {
    return fmt::format("{:016x}-{:016x}.snap", term, index);
}

namespace {

// A dir holding files only etcd names so: WAL segments, or .snap files and the db.
bool holds_segments(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (parse_segment_name(e.path().filename().string()) && e.is_regular_file(ec)) return true;
    }
    return false;
}

bool holds_snap_files(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if ((parse_snap_name(n) || n == "db") && e.is_regular_file(ec)) return true;
    }
    return false;
}

bool is_member_dir(const fs::path& dir) {
    return (is_dir(dir / "wal") && holds_segments(dir / "wal")) || (is_dir(dir / "snap") && holds_snap_files(dir / "snap"));
}

}  // namespace

std::optional<EtcdDirLevel> etcd_dir_level(const fs::path& dir) {
    if (!is_dir(dir)) return std::nullopt;
    if (is_dir(dir / "member") && is_member_dir(dir / "member")) return EtcdDirLevel::Data;
    if (is_member_dir(dir)) return EtcdDirLevel::Member;
    if (holds_segments(dir)) return EtcdDirLevel::Wal;
    if (holds_snap_files(dir)) return EtcdDirLevel::Snap;
    return std::nullopt;
}

const char* etcd_dir_level_name(EtcdDirLevel level) {
    switch (level) {
    case EtcdDirLevel::Data: return "data dir";
    case EtcdDirLevel::Member: return "member dir";
    case EtcdDirLevel::Wal: return "wal dir";
    case EtcdDirLevel::Snap: return "snap dir";
    }
    return "?";
}

bool is_etcd_file(const fs::path& path) {
    const std::string n = path.filename().string();
    if (n.ends_with(".wal") || n.ends_with(".snap") || n.ends_with(".wal.broken") || n.ends_with(".snap.broken")) return true;
    return starts_like_wal(path);
}

MemberDir list_member_dir(const fs::path& path) {
    MemberDir m;
    const std::optional<EtcdDirLevel> level = etcd_dir_level(path);
    if (!level) {
        throw std::runtime_error(fmt::format("{} is not an etcd data, member, wal or snap directory (it holds no WAL "
                                             "segment, .snap file or db, nor wal/ or snap/ dirs holding them)",
                                             path.string()));
    }
    switch (*level) {
    case EtcdDirLevel::Data:
        m.wal_dir = path / "member" / "wal";
        m.snap_dir = path / "member" / "snap";
        break;
    case EtcdDirLevel::Member:
        m.wal_dir = path / "wal";
        m.snap_dir = path / "snap";
        break;
    case EtcdDirLevel::Wal: m.wal_dir = path; break;
    case EtcdDirLevel::Snap: m.snap_dir = path; break;
    }
    if (!is_dir(m.wal_dir)) m.wal_dir.clear();
    if (!is_dir(m.snap_dir)) m.snap_dir.clear();
    std::error_code ec;
    if (!m.wal_dir.empty()) {
        for (const auto& e : fs::directory_iterator(m.wal_dir)) {
            const std::string n = e.path().filename().string();
            if (const auto s = parse_segment_name(n); s && e.is_regular_file(ec)) {
                m.segments.push_back({e.path(), *s, e.file_size(ec)});
            } else if (n.ends_with(".tmp")) {
                m.tmp_files.push_back(e.path());
            } else if (n.ends_with(".broken")) {
                m.broken_files.push_back(e.path());
            } else {
                m.unknown.push_back(e.path());
            }
        }
    }
    if (!m.snap_dir.empty()) {
        for (const auto& e : fs::directory_iterator(m.snap_dir)) {
            const std::string n = e.path().filename().string();
            if (const auto s = parse_snap_name(n); s && e.is_regular_file(ec)) {
                m.snaps.push_back({e.path(), *s, e.file_size(ec)});
            } else if (n == "db") {
                m.db = e.path();
            } else if (n.starts_with("db.tmp")) {
                m.db_tmp.push_back(e.path());
            } else if (n.ends_with(".snap.db")) {
                m.snap_dbs.push_back(e.path());
            } else if (n.ends_with(".broken")) {
                m.broken_files.push_back(e.path());
            } else {
                m.unknown.push_back(e.path());
            }
        }
    }
    auto by_path = [](const auto& a, const auto& b) { return a.path.filename() < b.path.filename(); };
    std::sort(m.segments.begin(), m.segments.end(), by_path);
    std::sort(m.snaps.begin(), m.snaps.end(), by_path);
    for (auto* v : {&m.tmp_files, &m.broken_files, &m.snap_dbs, &m.db_tmp, &m.unknown}) std::sort(v->begin(), v->end());
    return m;
}

}  // namespace zabra::etcd
