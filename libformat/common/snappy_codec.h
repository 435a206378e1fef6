// Raw Snappy blocks (libsnappy). Framing around them is the caller's business.
#pragma once

#include "libformat/common/bytes.h"

#include <optional>
#include <string>

namespace zabra {

// Uncompressed length announced by a raw Snappy block, or nullopt if the block
// header is not valid.
std::optional<std::size_t> snappy_uncompressed_length(ByteSpan block);

// Decompresses a raw block; false when the block is damaged.
bool snappy_uncompress(ByteSpan block, std::string& out);

void snappy_compress(ByteSpan data, std::string& out);

}  // namespace zabra
