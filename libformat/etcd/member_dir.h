// An etcd member's files: member/wal segments and member/snap files, with the
// leftovers etcd itself ignores or leaves behind (doc/etcd-wal.md §1-§2).
#pragma once

#include "libformat/etcd/wal_format.h"

#include <filesystem>
#include <optional>
#include <vector>

namespace zabra::etcd {

struct SegmentFile {
    std::filesystem::path path;
    SegmentName name;
    std::uint64_t size = 0;
};

struct SnapFileEntry {
    std::filesystem::path path;
    SnapName name;
    std::uint64_t size = 0;
};

struct MemberDir {
    std::filesystem::path wal_dir;   // empty when there is none
    std::filesystem::path snap_dir;  // empty when there is none
    std::vector<SegmentFile> segments;  // name order = (seq, index) order
    std::vector<SnapFileEntry> snaps;   // name order = (term, index) order
    std::vector<std::filesystem::path> tmp_files;     // wal/*.tmp: the spare segment, or an interrupted cut
    std::vector<std::filesystem::path> broken_files;  // *.broken: copies left by etcd's repair or snap loading
    std::vector<std::filesystem::path> snap_dbs;      // snap/*.snap.db: databases received from a leader
    std::vector<std::filesystem::path> db_tmp;        // snap/db.tmp*: an interrupted defrag
    std::vector<std::filesystem::path> unknown;       // names etcd does not parse (it warns and ignores them)
    std::optional<std::filesystem::path> db;          // snap/db, the bbolt key-value store
};

// What an etcd dir is, told by what it holds, never by its name: operators
// copy member/ as etcd-3/, keep only wal/ and snap/, or run with --wal-dir.
//   Wal     it holds <seq>-<index>.wal segments
//   Snap    it holds <term>-<index>.snap files or a db
//   Member  its wal/ or snap/ is one of those
//   Data    its member/ is a member dir
enum class EtcdDirLevel { Data, Member, Wal, Snap };
std::optional<EtcdDirLevel> etcd_dir_level(const std::filesystem::path& dir);
const char* etcd_dir_level_name(EtcdDirLevel level);  // "data dir", "member dir", "wal dir", "snap dir"

// True when `path` is a *.wal / *.snap file (or a .broken copy), by name, or
// a file that starts like a WAL segment.
bool is_etcd_file(const std::filesystem::path& path);

// Lists a data dir, a member dir, or a wal or snap dir, of any name.
// Throws std::runtime_error when the path is none of these.
MemberDir list_member_dir(const std::filesystem::path& path);

}  // namespace zabra::etcd
