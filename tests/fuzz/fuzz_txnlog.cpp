// fuzz_txnlog: arbitrary bytes as a txn-log file. Checks that
//  - TxnLogReader never crashes and its LogEnd is consistent (offset within the
//    file and at the end of the last record, record indexes contiguous, with
//    a damaged record counted as one when reading resumes after it; a resume
//    offset lies after the damage and really starts a valid record);
//  - check_txn agrees with decode_txn on every payload (verify relies on it);
//  - decode_txn on every record either succeeds or throws FormatError (any
//    other exception escapes to libFuzzer and is reported);
//  - encode_txn is stable: encode(decode(encode(t))) == encode(t);
//  - applying the txns to a DataTree (with digest checks) never crashes.
// The payload of a record that fails only its checksum is decoded too, so
// mutated payloads reach the decoder.
// A small max_record (1 MiB) lets inputs reach the over-limit paths.
#include "fuzz_check.h"
#include "libformat/common/error.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

using namespace zabra;
using namespace zabra::zab;

namespace {

constexpr std::uint32_t kMaxRecord = 1u << 20;

// `index`: the index the next record would have had.
void check_end(const TxnLogReader& reader, std::uint64_t size, std::uint64_t index, std::uint64_t last_end) {
    const LogEnd& end = reader.end();
    FUZZ_CHECK(end.offset <= size);
    FUZZ_CHECK(end.records == index);
    if (reader.header_status() != HeaderStatus::Ok) {
        FUZZ_CHECK(end.kind == LogEndKind::Damaged && end.cause == EndCause::BadHeader);
        FUZZ_CHECK(end.offset == 0 && index == 0);
        return;
    }
    FUZZ_CHECK(end.offset == last_end);
    FUZZ_CHECK((end.kind == LogEndKind::Clean) == (end.cause == EndCause::None));
    FUZZ_CHECK(!end.detail.empty());
    if (end.kind == LogEndKind::Damaged) {
        FUZZ_CHECK(end.damage_end <= size);
        FUZZ_CHECK(end.nonzero_bytes_after <= size - end.damage_end);
        if (end.resume_offset) {
            FUZZ_CHECK(*end.resume_offset > end.offset);
            FUZZ_CHECK(*end.resume_offset < size);
            FUZZ_CHECK(end.nonzero_bytes_after > 0);
        }
        if (end.resume_search_incomplete) FUZZ_CHECK(!end.resume_offset && end.nonzero_bytes_after > 0);
    } else {
        FUZZ_CHECK(!end.resume_offset && !end.resume_search_incomplete);
    }
    if (end.intact_over_limit) FUZZ_CHECK(end.cause == EndCause::LengthOverLimit);
}

void roundtrip_and_apply(const Txn& t, DataTree& tree) {
    const std::string e1 = encode_txn(t);
    Txn again;
    try {
        again = decode_txn(as_bytes(e1), {kMaxRecord});
    } catch (const FormatError& e) {
        std::fprintf(stderr, "fuzz invariant failed: decode(encode(t)) threw: %s\n", e.what());
        std::abort();
    }
    const std::string e2 = encode_txn(again);
    FUZZ_CHECK(e1 == e2);

    const DigestCheck check = tree.apply_and_check(t);
    (void)check.matches();
    (void)tree.digest();
}

// check_txn (verify's allocation-free walk) must agree with decode_txn.
void check_agrees(ByteSpan payload, const std::optional<Txn>& t) {
    std::optional<TxnCheck> c;
    try {
        c = check_txn(payload, {kMaxRecord});
    } catch (const FormatError&) {
    }
    FUZZ_CHECK(c.has_value() == t.has_value());
    if (!t) return;
    FUZZ_CHECK(c->header == t->header);
    FUZZ_CHECK(c->digest == t->digest);
    FUZZ_CHECK(c->trailing == t->trailing.size());
    FUZZ_CHECK(c->unknown_type == std::holds_alternative<RawTxn>(t->body));
    int bad = -1;
    if (const auto* m = std::get_if<MultiTxn>(&t->body); m != nullptr && m->ops) {
        for (std::size_t i = 0; i < m->ops->size() && bad < 0; ++i) {
            const auto& op = (*m->ops)[i];
            if (!op.decode_error.empty() || std::holds_alternative<RawTxn>(op.body)) bad = static_cast<int>(i);
        }
    }
    FUZZ_CHECK(c->bad_op == bad);
}

void decode_and_check(ByteSpan payload, DataTree& tree) {
    std::optional<Txn> t;
    try {
        t = decode_txn(payload, {kMaxRecord});
    } catch (const FormatError&) {
        // damage inside a payload is a decode error, nothing more
    }
    check_agrees(payload, t);
    if (t) roundtrip_and_apply(*t, tree);  // outside the try: nothing here may throw at all
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteSpan file(data, size);
    TxnLogReaderOptions options;
    options.max_record = kMaxRecord;
    // A last byte of 0x01 (padding is 0x00) picks a tiny resume-search budget,
    // so the give-up path is reachable with small inputs.
    if (size > 0 && data[size - 1] == 0x01) options.resume_search_budget = 4096;
    TxnLogReader reader(file, options);
    DataTree tree;
    TxnLogRecord rec;
    std::uint64_t index = 0;  // of the next record
    std::uint64_t last_end = reader.header_status() == HeaderStatus::Ok ? kTxnLogHeaderSize : 0;

    // Read to the end; after damage with a resume offset, carry on from there
    // (each resume moves strictly forward, so this terminates).
    for (;;) {
        while (reader.next(rec)) {
            FUZZ_CHECK(rec.index == index);
            FUZZ_CHECK(rec.offset == last_end);
            FUZZ_CHECK(rec.payload.size() <= kMaxRecord);
            FUZZ_CHECK(rec.offset + rec.size() <= size);
            FUZZ_CHECK(rec.payload.data() == data + rec.offset + kRecordPrefixSize);
            FUZZ_CHECK(data[rec.offset + rec.size() - 1] == kEndOfRecord);
            ++index;
            last_end = rec.offset + rec.size();
            decode_and_check(rec.payload, tree);
        }
        FUZZ_CHECK(!reader.next(rec));  // stays finished
        check_end(reader, size, index, last_end);
        if (reader.end().cause == EndCause::ChecksumMismatch) {
            // A record whose only defect is its checksum: decode its payload
            // anyway, so mutations inside payloads reach the decoder without
            // having to forge an Adler-32.
            const std::uint64_t at = reader.end().offset;
            FUZZ_CHECK(at + kRecordPrefixSize <= size);
            const std::uint64_t len = load_be32(data + at + 8);
            FUZZ_CHECK(at + kRecordPrefixSize + len + 1 <= size);
            decode_and_check(ByteSpan(data + at + kRecordPrefixSize, len), tree);
        }
        const auto resume = reader.end().resume_offset;
        if (!resume) break;
        // Indexes go on counting, the damaged record counted as one.
        index = reader.end().records + 1;
        reader.seek(*resume);
        // find_resume promises a complete, checksum-valid record there.
        FUZZ_CHECK(reader.next(rec));
        FUZZ_CHECK(rec.offset == *resume && rec.index == index);
        ++index;
        last_end = rec.offset + rec.size();
        decode_and_check(rec.payload, tree);
    }
    return 0;
}
