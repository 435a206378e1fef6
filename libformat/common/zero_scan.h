// Zero checks over the rest of a file, for readers deciding how a log ends:
// preallocated space is zeros, and anything non-zero in it is damage or
// hidden records. The zeros are megabytes long. In a file a server wrote they
// are holes, skipped without reading; in a copy (cp, tar, rsync, a backup)
// they are real, so they are copied out in bounded pieces (pread into one
// 1 MiB buffer a thread) and the map's pages are never touched: memory stays
// flat whatever the copy's size.
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/common/mapped_file.h"

#include <cstdint>

namespace zabra {

// True when every byte of file[from, end) is zero. `extents` (may be null)
// says where the holes are and reads the pieces.
bool all_zero_from(ByteSpan file, std::uint64_t from, const FileExtents* extents);

// The number of non-zero bytes in file[from, end), likewise.
std::uint64_t count_nonzero_from(ByteSpan file, std::uint64_t from, const FileExtents* extents);

}  // namespace zabra
