#include "libformat/common/zero_scan.h"

#include <algorithm>

namespace zabra {

namespace {

// Pieces end on 1 MiB boundaries of the file, so releasing them drops whole pages.
constexpr std::uint64_t kPiece = 1u << 20;

// Calls visit(piece) for the data extents of file[from, end) in order, piece
// by piece, releasing each piece's pages after it; stops when visit returns false.
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
            const bool go_on = visit(file.subspan(at, end - at));
            if (extents != nullptr) extents->release(at, end);
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
