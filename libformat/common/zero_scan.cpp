#include "libformat/common/zero_scan.h"

#include <algorithm>
#include <vector>

namespace zabra {

namespace {

// Pieces end on 1 MiB boundaries of the file, so releasing them drops whole pages.
constexpr std::uint64_t kPiece = 1u << 20;

// Calls visit(piece) for the data extents of file[from, end) in order, piece
// by piece; stops when visit returns false.
template <class Visit>
void for_each_data_piece(ByteSpan file, std::uint64_t from, const FileExtents* extents, Visit&& visit) {
    const std::uint64_t size = file.size();
    auto next_data = [&](std::uint64_t at) { return extents != nullptr ? extents->next_data(at) : at; };
    auto next_hole = [&](std::uint64_t at) {
        return extents != nullptr ? std::min(std::max(extents->next_hole(at), at + 1), size) : size;
    };
    for (std::uint64_t at = next_data(from); at < size;) {
        const std::uint64_t hole = next_hole(at);
        while (at < hole) {
            const std::uint64_t end = std::min(hole, (at / kPiece + 1) * kPiece);
            const std::size_t n = static_cast<std::size_t>(end - at);
            // Copied out with pread when the file allows it: the map's pages
            // are then never touched (2-3x faster than faulting them in and
            // out); through the map, released after, otherwise.
            thread_local std::vector<std::uint8_t> buffer(kPiece);
            const bool copied = extents != nullptr && extents->read_at(at, buffer.data(), n) == n;
            const bool go_on = visit(copied ? ByteSpan(buffer.data(), n) : file.subspan(at, n));
            if (extents != nullptr && !copied) extents->release(at, end);
            if (!go_on) return;
            at = end;
        }
        at = next_data(hole);
    }
}

}  // namespace

bool all_zero_from(ByteSpan file, std::uint64_t from, const FileExtents* extents) {
    bool zero = true;
    for_each_data_piece(file, from, extents, [&](ByteSpan piece) { return zero = all_zero(piece); });
    return zero;
}

std::uint64_t count_nonzero_from(ByteSpan file, std::uint64_t from, const FileExtents* extents) {
    std::uint64_t n = 0;
    for_each_data_piece(file, from, extents, [&](ByteSpan piece) {
        n += count_nonzero(piece);
        return true;
    });
    return n;
}

}  // namespace zabra
