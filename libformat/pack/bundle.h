// zabra bundles: a consistent copy of a ZooKeeper data dir for offline
// analysis, as a zstd-compressed ustar archive:
//
//   bundle    := zstd( entry* manifest end )
//   entry     := ustar header (512 B), file bytes, zero padding to 512
//   manifest  := entry "zabra-pack.manifest": "zabra-pack 1\n" then one line per
//                file: name TAB original_size TAB packed_size TAB mtime_s
//   end       := two zero blocks
//
// Every data file goes under "version-2/" (dataDir and dataLogDir merged, as
// ZooKeeper allows); the preallocated zero tail of each log is dropped and
// restored (sparse) on extraction from the manifest, so the extracted dir
// reads exactly like the original.
#pragma once

#include "libformat/common/bytes.h"

#include <filesystem>
#include <string>
#include <vector>

namespace zabra::pack {

struct PackedFile {
    std::string name;  // inside the bundle
    std::uint64_t original_size = 0;
    std::uint64_t packed_size = 0;
};

struct PackReport {
    std::vector<PackedFile> files;
    std::uint64_t original_bytes = 0;
    std::uint64_t bundle_bytes = 0;
};

struct PackOptions {
    int level = 3;  // zstd level
};

// Packs one or more data dirs (dataDir, dataLogDir) into `out`, written as
// out.tmp, fsynced, then renamed. Snapshots first, then logs in zxid order,
// the newest last, then any log that appeared meanwhile: a live server's
// appends after the copy of a log are simply not in the bundle.
PackReport pack_data_dirs(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& out,
                          const PackOptions& options = {});

// The bytes of a log worth keeping: up to its last non-zero byte (at least
// the header), so damage and torn tails travel with it.
std::uint64_t log_keep_size(ByteSpan log);

// Extracts a bundle into `dest` (which must exist and be empty). Refuses
// absolute names, "..", links and anything but regular files; throws
// FormatError (damage) or std::runtime_error (I/O).
void extract_bundle(ByteSpan bundle, const std::filesystem::path& dest);

// True if the bytes are zstd data whose content starts with a ustar header.
bool is_bundle(ByteSpan data);

}  // namespace zabra::pack
