#include "libformat/zab/data_dir.h"

#include "libformat/common/mapped_file.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txnlog_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace zabra::zab {

namespace fs = std::filesystem;

std::optional<DataFileName> parse_data_file_name(std::string_view name) {
    DataFileName f;
    std::string_view rest;
    if (name.starts_with("log.")) {
        f.kind = FileKind::TxnLog;
        rest = name.substr(4);
    } else if (name.starts_with("snapshot.")) {
        f.kind = FileKind::Snapshot;
        rest = name.substr(9);
    } else {
        return std::nullopt;
    }
    const auto dot = rest.find('.');
    const std::string_view hex = rest.substr(0, dot);
    f.suffix = dot == std::string_view::npos ? std::string() : std::string(rest.substr(dot));
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
    // Long.parseLong(hex, 16): signed; anything else is -1.
    if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size() || v > 0x7fffffffffffffffull) {
        f.zxid = -1;
    } else {
        f.zxid = static_cast<std::int64_t>(v);
    }
    const std::string last = name.substr(name.rfind('.') + 1) == name ? "" : std::string(name.substr(name.rfind('.') + 1));
    f.name_compression = last == "gz" ? Compression::Gzip : last == "snappy" ? Compression::Snappy : Compression::None;
    const bool hex_canonical = f.zxid >= 0 && hex == fmt::format("{:x}", f.zxid);
    if (f.kind == FileKind::TxnLog) {
        f.canonical = hex_canonical && f.suffix.empty();
    } else {
        f.canonical = hex_canonical && (f.suffix.empty() || f.suffix == ".gz" || f.suffix == ".snappy");
    }
    return f;
}

std::string log_file_name(std::int64_t zxid) { return fmt::format("log.{:x}", zxid); }

std::string snapshot_file_name(std::int64_t zxid, Compression c) {
    switch (c) {
    case Compression::Gzip: return fmt::format("snapshot.{:x}.gz", zxid);
    case Compression::Snappy: return fmt::format("snapshot.{:x}.snappy", zxid);
    case Compression::None: break;
    }
    return fmt::format("snapshot.{:x}", zxid);
}

fs::path find_version2(const fs::path& path) {
    if (!fs::is_directory(path)) throw std::runtime_error(path.string() + ": not a directory");
    if (path.filename() == "version-2") return path;
    if (fs::is_directory(path / "version-2")) return path / "version-2";
    return path;
}

std::optional<FileKind> data_file_kind(const fs::path& file) {
    if (const auto name = parse_data_file_name(file.filename().string())) return name->kind;
    const MappedFile m(file);
    const ByteSpan b = m.bytes();
    if (b.size() >= 4 && load_be32(b.data()) == kTxnLogMagic) return FileKind::TxnLog;
    if (starts_like_snapshot(b)) return FileKind::Snapshot;
    return std::nullopt;
}

bool holds_zookeeper_data(const fs::path& dir) {
    std::error_code ec;
    if (dir.filename() == "version-2" || fs::is_directory(dir / "version-2", ec)) return true;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (parse_data_file_name(e.path().filename().string()) && e.is_regular_file(ec)) return true;
    }
    return false;
}

std::optional<std::int64_t> read_epoch_file(const fs::path& path, std::string& problem) {
    std::string text;
    try {
        text = read_file(path);
    } catch (const std::exception& e) {
        problem = e.what();
        return std::nullopt;
    }
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
        problem = fmt::format("{}: not a decimal epoch: {:?}", path.string(), text.substr(0, 40));
        return std::nullopt;
    }
    return v;
}

DataDir list_data_dir(const fs::path& path) {
    DataDir d;
    d.version2 = find_version2(path);
    for (const auto& entry : fs::directory_iterator(d.version2)) {
        const std::string name = entry.path().filename().string();
        if (name == "currentEpoch" || name == "acceptedEpoch") {
            std::string problem;
            auto v = read_epoch_file(entry.path(), problem);
            (name == "currentEpoch" ? d.current_epoch : d.accepted_epoch) = v;
            if (!v) d.problems.push_back(problem);
            continue;
        }
        auto parsed = parse_data_file_name(name);
        if (!parsed || !entry.is_regular_file()) {
            d.other.push_back(entry.path());
            continue;
        }
        DataFile f{entry.path(), *parsed, entry.file_size()};
        (parsed->kind == FileKind::TxnLog ? d.logs : d.snapshots).push_back(std::move(f));
    }
    auto by_zxid = [](const DataFile& a, const DataFile& b) {
        return a.name.zxid != b.name.zxid ? a.name.zxid < b.name.zxid : a.path < b.path;
    };
    std::sort(d.logs.begin(), d.logs.end(), by_zxid);
    std::sort(d.snapshots.begin(), d.snapshots.end(), by_zxid);
    std::sort(d.other.begin(), d.other.end());
    return d;
}

std::string zxid_hex(std::int64_t zxid) { return fmt::format("0x{:x}", static_cast<std::uint64_t>(zxid)); }

}  // namespace zabra::zab
