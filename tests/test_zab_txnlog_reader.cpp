// Framing and end-of-data classification, on real ZooKeeper 3.8 log bytes
// damaged on purpose.
#include "helpers.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"

#include <doctest/doctest.h>

#include <cstring>

#include <algorithm>


using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

namespace {

struct Scan {
    std::vector<TxnLogRecord> records;
    LogEnd end;
    HeaderStatus header = HeaderStatus::Ok;
};

Scan scan(const std::string& bytes, TxnLogReaderOptions o = {}) {
    Scan s;
    TxnLogReader r(as_bytes(bytes), o);
    s.header = r.header_status();
    TxnLogRecord rec;
    while (r.next(rec)) s.records.push_back(rec);
    s.end = r.end();
    return s;
}

// The real log used for damage tests: the first standalone log.
std::string real_log() {
    return test::slurp(test::fixtures() / "zk/standalone/data/version-2/log.1");
}

// A longer log made of every real record of the standalone set, framed as
// ZooKeeper frames them (the writer tests show the framing is byte-exact),
// then 64 KiB of padding.
std::string long_real_log() {
    std::string out = encode_log_header();
    for (const auto& path : test::fixture_logs()) {
        if (path.string().find("/standalone/") == std::string::npos) continue;
        const std::string bytes = test::slurp(path);
        TxnLogReader r(as_bytes(bytes));
        TxnLogRecord rec;
        while (r.next(rec)) out += bytes.substr(rec.offset, rec.size());
    }
    return out + std::string(65536, '\0');
}

void flip_bit(std::string& b, std::uint64_t at, int bit = 0) { b[at] = static_cast<char>(b[at] ^ (1 << bit)); }

}  // namespace

TEST_CASE("every real fixture log reads to a clean end with the record count TxnLogToolkit reports") {
    const auto logs = test::fixture_logs();
    REQUIRE(logs.size() >= 10);
    for (const auto& path : logs) {
        CAPTURE(path);
        const std::string bytes = test::slurp(path);
        const Scan s = scan(bytes);  // records point into bytes
        std::string toolkit = test::slurp(test::expected_for(path, ".txnlogtoolkit.txt"));
        // (no std::regex over the whole text: libstdc++'s recursion overflows the stack)
        const auto eof_at = toolkit.rfind("EOF reached after ");
        if (eof_at == std::string::npos) {
            // TxnLogToolkit dies on a standalone check (opcode 13): ZOOKEEPER-2623
            CHECK(toolkit.find("ZooKeeper Transactional Log File") != std::string::npos);
            CHECK(s.end.kind == LogEndKind::Clean);
            continue;
        }
        CHECK(s.header == HeaderStatus::Ok);
        CHECK(s.end.kind == LogEndKind::Clean);
        CHECK(s.records.size() == std::stoul(toolkit.substr(eof_at + 18)));
        for (const auto& r : s.records) CHECK_NOTHROW(decode_txn(r.payload));
    }
}

TEST_CASE("a header-only log is a clean end with no records") {
    const Scan s = scan(real_log().substr(0, 16));
    CHECK(s.header == HeaderStatus::Ok);
    CHECK(s.records.empty());
    CHECK(s.end.kind == LogEndKind::Clean);
    CHECK(s.end.offset == 16);
}

TEST_CASE("header followed by zero padding only is a clean end") {
    std::string b = real_log().substr(0, 16) + std::string(65536, '\0');
    const Scan s = scan(b);
    CHECK(s.records.empty());
    CHECK(s.end.kind == LogEndKind::Clean);
}

TEST_CASE("an all-zero log is a bad header, said to be all zero") {
    const Scan s = scan(std::string(16 + 65536, '\0'));
    CHECK(s.header == HeaderStatus::BadMagic);
    CHECK(s.end.kind == LogEndKind::Damaged);
    CHECK(s.end.cause == EndCause::BadHeader);
    CHECK(s.end.detail.find("all 65552 bytes are zero") != std::string::npos);
}

TEST_CASE("empty and short logs are told apart") {
    CHECK(scan("").header == HeaderStatus::Empty);
    CHECK(scan(real_log().substr(0, 8)).header == HeaderStatus::Short);
    std::string bad = real_log();
    bad[0] = 'X';
    const Scan s = scan(bad);
    CHECK(s.header == HeaderStatus::BadMagic);
    CHECK(s.end.detail.find("bad magic") != std::string::npos);
}

TEST_CASE("damage kinds on a real log give distinct outcomes at the exact offset") {
    const std::string original = long_real_log();
    const Scan clean = scan(original);
    REQUIRE(clean.records.size() >= 8);
    const auto& recs = clean.records;
    const std::size_t n = recs.size();
    const std::uint64_t data_end = recs.back().offset + recs.back().size();

    SUBCASE("bit flip in a middle payload: checksum mismatch, records resume at the next record") {
        std::string b = original;
        const auto& victim = recs[n / 2];
        flip_bit(b, victim.offset + 12 + 20, 3);
        const Scan s = scan(b);
        CHECK(s.records.size() == n / 2);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.cause == EndCause::ChecksumMismatch);
        CHECK(s.end.offset == victim.offset);
        REQUIRE(s.end.resume_offset);
        CHECK(*s.end.resume_offset == recs[n / 2 + 1].offset);
        CHECK(s.end.nonzero_bytes_after > 0);
        CHECK_FALSE(s.end.zookeeper_ignores);  // ZooKeeper refuses to start: CRC check failed
    }
    SUBCASE("bit flip in a middle length: damaged at that record, resume at the next") {
        std::string b = original;
        const auto& victim = recs[n / 2];
        flip_bit(b, victim.offset + 8 + 1, 6);  // len grows by 0x400000
        const Scan s = scan(b);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.offset == victim.offset);
        REQUIRE(s.end.resume_offset);
        CHECK(*s.end.resume_offset == recs[n / 2 + 1].offset);
    }
    SUBCASE("small length flip in a middle record: the EOR byte lands elsewhere") {
        std::string b = original;
        const auto& victim = recs[n / 2];
        flip_bit(b, victim.offset + 11, 0);
        const Scan s = scan(b);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.offset == victim.offset);
        CHECK((s.end.cause == EndCause::BadEndOfRecord || s.end.cause == EndCause::ChecksumMismatch));
        REQUIRE(s.end.resume_offset);
        CHECK(*s.end.resume_offset == recs[n / 2 + 1].offset);
    }
    SUBCASE("a zeroed 4 KiB block inside the data: damaged, resume after the block") {
        std::string b = original;
        const std::uint64_t start = recs[1].offset + 5;
        REQUIRE(start + 4096 + 1000 < data_end);
        std::fill(b.begin() + static_cast<long>(start), b.begin() + static_cast<long>(start + 4096), '\0');
        const Scan s = scan(b);
        CHECK(s.records.size() == 1);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.offset == recs[1].offset);
        std::uint64_t first_intact = 0;
        for (const auto& r : recs) {
            if (r.offset >= start + 4096) {
                first_intact = r.offset;
                break;
            }
        }
        REQUIRE(s.end.resume_offset);
        CHECK(*s.end.resume_offset == first_intact);
        CHECK(s.end.nonzero_bytes_after > 0);
    }
    SUBCASE("truncation at every offset inside the last record is a torn tail") {
        const auto& last = recs.back();
        for (std::uint64_t cut = last.offset + 1; cut < last.offset + last.size(); ++cut) {
            CAPTURE(cut);
            const std::string cut_file = original.substr(0, cut);
            const Scan s = scan(cut_file);
            CHECK(s.records.size() == n - 1);
            CHECK(s.end.offset == last.offset);
            if (all_zero(as_bytes(cut_file).subspan(last.offset))) {
                // Only the zero high half of the crc survived: nothing of the
                // record is left to tell it from padding.
                CHECK(s.end.kind == LogEndKind::Clean);
            } else {
                CHECK(s.end.kind == LogEndKind::TornTail);
                CHECK(s.end.zookeeper_ignores);
            }
        }
        const Scan at_start = scan(original.substr(0, last.offset));
        CHECK(at_start.end.kind == LogEndKind::Clean);
        CHECK(at_start.records.size() == n - 1);
        const Scan at_end = scan(original.substr(0, data_end));
        CHECK(at_end.end.kind == LogEndKind::Clean);
        CHECK(at_end.records.size() == n);
    }
    SUBCASE("zeros from the middle of the last record to the end: torn tail, bad EOR") {
        std::string b = original;
        const auto& last = recs.back();
        std::fill(b.begin() + static_cast<long>(last.offset + 20), b.end(), '\0');
        const Scan s = scan(b);
        CHECK(s.end.kind == LogEndKind::TornTail);
        CHECK(s.end.cause == EndCause::BadEndOfRecord);
        CHECK(s.end.offset == last.offset);
    }
    SUBCASE("bit flip in the last payload: damaged (ZooKeeper will not start), nothing after it") {
        std::string b = original;
        flip_bit(b, recs.back().offset + 12 + 33);
        const Scan s = scan(b);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.cause == EndCause::ChecksumMismatch);
        CHECK(s.end.nonzero_bytes_after == 0);
        CHECK_FALSE(s.end.resume_offset);
    }
    SUBCASE("length -1 in the last record") {
        std::string b = original;
        const auto at = recs.back().offset + 8;
        b[at] = b[at + 1] = b[at + 2] = b[at + 3] = '\xff';
        const Scan s = scan(b);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.cause == EndCause::NegativeLength);
        CHECK(s.end.offset == recs.back().offset);
    }
    SUBCASE("an intact record over the length limit is named as such") {
        std::uint32_t biggest = 0;
        for (const auto& r : recs) biggest = std::max<std::uint32_t>(biggest, static_cast<std::uint32_t>(r.payload.size()));
        TxnLogReaderOptions o;
        o.max_record = biggest - 1;
        const Scan s = scan(original, o);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.cause == EndCause::LengthOverLimit);
        CHECK(s.end.intact_over_limit);
        CHECK(s.end.detail.find("intact record") != std::string::npos);
    }
    SUBCASE("zero length followed by more records: ZooKeeper stops silently, we report the hidden data") {
        std::string b = original;
        const auto& victim = recs[2];
        std::fill(b.begin() + static_cast<long>(victim.offset), b.begin() + static_cast<long>(victim.offset + 12),
                  '\0');
        const Scan s = scan(b);
        CHECK(s.records.size() == 2);
        CHECK(s.end.kind == LogEndKind::Damaged);
        CHECK(s.end.cause == EndCause::ZeroLength);
        CHECK(s.end.zookeeper_ignores);
        REQUIRE(s.end.resume_offset);
        CHECK(*s.end.resume_offset == recs[3].offset);
    }
}

TEST_CASE("seek continues at a resume offset and record indexes count the damaged record") {
    std::string b = real_log();
    const Scan clean = scan(b);
    flip_bit(b, clean.records[3].offset + 12 + 40);
    TxnLogReader r(as_bytes(b));
    TxnLogRecord rec;
    while (r.next(rec)) {
    }
    REQUIRE(r.end().resume_offset);
    r.seek(*r.end().resume_offset);
    REQUIRE(r.next(rec));
    CHECK(rec.offset == clean.records[4].offset);
    CHECK(rec.index == 4);  // the damaged record 3 counts
}

TEST_CASE("the resume search has a work budget, so crafted input cannot make it quadratic") {
    // Damage at the start, then a region where every 16th offset looks like a
    // record header with a 64 KiB payload whose EOR byte is present.
    std::string b = encode_log_header();
    b += std::string(12, '\x01');  // a record prefix with an absurd length
    const std::size_t region = 4 << 20;
    std::string body(region, '\x42');
    for (std::size_t at = 0; at + 16 <= region; at += 16) {
        std::memcpy(&body[at], "\0\0\0\0\0\0\0\0\0\1\0\0", 12);  // crc 0, len 65536
    }
    b += body;
    TxnLogReaderOptions o;
    o.resume_search_budget = 8 << 20;
    TxnLogReader r(as_bytes(b), o);
    TxnLogRecord rec;
    CHECK_FALSE(r.next(rec));
    CHECK(r.end().kind == LogEndKind::Damaged);
    CHECK_FALSE(r.end().resume_offset);
    CHECK(r.end().resume_search_incomplete);
}
