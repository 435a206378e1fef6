// Crash-safe file mutation for repair and rollback (doc/rollback.md §3-§4):
// every change is durable before the next one starts (temp + fsync + rename
// + fsync of the directory; truncate + fsync), a failed write or fsync is
// fatal (std::system_error), and nothing is deleted: files are moved aside.
//
// Each step passes a numbered mutation point first. With ZABRA_CRASH_AT=N in
// the environment the process kills itself with SIGKILL at point N, so tests
// can stop a run at every write, rename, truncate and fsync in turn.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace zabra {

// Counts a mutation point and dies at the one ZABRA_CRASH_AT names.
void mutation_point(const char* what);
// Points passed so far in this process.
std::uint64_t mutation_points_passed();

void fsync_dir(const std::filesystem::path& dir);
// Writes `bytes` to `path` via a temporary file in the same dir, renamed into place.
void write_file_durably(const std::filesystem::path& path, std::string_view bytes);
// The same through a temporary file of a given name (where another program
// looks for it after a crash, as ZooKeeper does for currentEpoch.tmp).
void write_file_durably(const std::filesystem::path& path, std::string_view bytes, const std::filesystem::path& tmp);
// Copies `from` to `to` (which must not exist) via a temporary file: `to`
// either does not exist or holds every byte.
void copy_file_durably(const std::filesystem::path& from, const std::filesystem::path& to);
void truncate_durably(const std::filesystem::path& path, std::uint64_t size);
// rename(2) and fsync of both directories; across file systems, a durable
// copy and then the removal of the source.
void move_durably(const std::filesystem::path& from, const std::filesystem::path& to);

// Lower-case hex SHA-1 of a file's bytes (manifests; not for security).
std::string file_sha1(const std::filesystem::path& path);

}  // namespace zabra
