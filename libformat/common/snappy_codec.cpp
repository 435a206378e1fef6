#include "libformat/common/snappy_codec.h"

#include <snappy.h>

namespace zabra {

std::optional<std::size_t> snappy_uncompressed_length(ByteSpan block) {
    std::size_t n = 0;
    if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(block.data()), block.size(), &n)) {
        return std::nullopt;
    }
    return n;
}

bool snappy_uncompress(ByteSpan block, std::string& out) {
    return snappy::Uncompress(reinterpret_cast<const char*>(block.data()), block.size(), &out);
}

void snappy_compress(ByteSpan data, std::string& out) {
    snappy::Compress(reinterpret_cast<const char*>(data.data()), data.size(), &out);
}

}  // namespace zabra
