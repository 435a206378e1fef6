// fuzz_etcd_wal: arbitrary bytes as an etcd WAL segment (the first byte's low
// bit says whether it is the last segment, as the torn-write rule depends on
// it) and as a .snap file. Checks that
//  - WalReader never crashes, its frames lie inside the input one after the
//    other, and its WalEnd is consistent (offset at the end of the last
//    frame, kind and cause agree, a resume offset after the end);
//  - every record payload either decodes or throws FormatError;
//  - summarize_entry never throws on any entry's data, nor on the raw input;
//  - re-encoding a decoded entry and hard state gives bytes that decode to the
//    same values.
#include "fuzz_check.h"
#include "libformat/common/error.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/request.h"
#include "libformat/etcd/wal_reader.h"

#include <cstddef>
#include <cstdint>

using namespace zabra;
using namespace zabra::etcd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const ByteSpan bytes(data + 1, size - 1);
    WalReaderOptions o;
    o.last_segment = (data[0] & 1) != 0;
    o.chain = (data[0] & 2) ? 0 : 0x12345678u;
    WalReader reader(bytes, o);
    WalFrame f;
    std::uint64_t expect_offset = 0, index = 0;
    while (reader.next(f)) {
        FUZZ_CHECK(f.offset == expect_offset);
        FUZZ_CHECK(f.index == index++);
        // Not always a multiple of 8: etcd takes the padding from the length
        // word as it is, even when it does not pad the record to 8 bytes.
        FUZZ_CHECK(f.size >= 8);
        FUZZ_CHECK(f.offset + f.size <= bytes.size());
        expect_offset = f.offset + f.size;
        try {
            switch (f.type) {
            case 1: decode_metadata(f.data, f.data_offset); break;
            case 2: {
                const Entry e = decode_entry(f.data, f.data_offset);
                const RequestSummary s = summarize_entry(e.type, e.data);
                FUZZ_CHECK(!s.op.empty());
                const std::string again = encode_entry(e);
                const Entry e2 = decode_entry(as_bytes(again));
                FUZZ_CHECK(e2.term == e.term && e2.index == e.index && e2.type == e.type && e2.data.size() == e.data.size());
                break;
            }
            case 3: {
                const HardState h = decode_hard_state(f.data, f.data_offset);
                const std::string again = encode_hard_state(h);
                const HardState h2 = decode_hard_state(as_bytes(again));
                FUZZ_CHECK(h2.term == h.term && h2.vote == h.vote && h2.commit == h.commit);
                break;
            }
            case 5: decode_wal_snapshot(f.data, f.data_offset); break;
            default: break;
            }
        } catch (const FormatError&) {
        }
    }
    const WalEnd& end = reader.end();
    FUZZ_CHECK(end.offset == expect_offset);
    FUZZ_CHECK(end.records == index);
    FUZZ_CHECK(end.offset <= bytes.size());
    FUZZ_CHECK(!end.detail.empty());
    FUZZ_CHECK((end.kind == WalEndKind::Clean) == (end.cause == WalEndCause::EndOfFile || end.cause == WalEndCause::ZeroLength));
    if (end.kind == WalEndKind::TornTail) FUZZ_CHECK(o.last_segment);
    FUZZ_CHECK(end.damage_end <= bytes.size());
    FUZZ_CHECK(end.nonzero_bytes_after <= bytes.size() - end.damage_end || end.cause == WalEndCause::ZeroLength);
    if (end.resume_offset) FUZZ_CHECK(*end.resume_offset > end.offset && *end.resume_offset < bytes.size());

    for (std::uint32_t type = 0; type < 3; ++type) FUZZ_CHECK(!summarize_entry(type, bytes).op.empty());
    try {
        const SnapFile s = decode_snap_file(bytes);
        FUZZ_CHECK(s.data.size() <= bytes.size());
    } catch (const FormatError&) {
    }
    return 0;
}
