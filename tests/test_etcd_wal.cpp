// etcd WAL framing, CRC chain and record codecs (doc/etcd-wal.md §3-§4, §7), against
// real etcd 3.4.23 bytes: the first records of a member's first segment (kVectorB).
#include "helpers.h"
#include "libformat/common/crc32c.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/wal_reader.h"
#include "libformat/etcd/wal_writer.h"

#include <doctest/doctest.h>

#include <random>

using namespace zabra;
using namespace zabra::etcd;

namespace {

// The first 0xf8 bytes of a real 0000000000000000-0000000000000000.wal (member e1).
const std::string kVectorB = test::unhex(R"(
0400 0000 0000 0084 0804 1000 0000 0000
1d00 0000 0000 0083 0801 108d 9cf9 161a
1408 c0c0 caaf c1ba 9689 2e10 87d5 edba
8fd5 9dc1 0400 0000 0e00 0000 0000 0082
0805 1087 8cc5 8d0d 1a04 0800 1000 0000
6e00 0000 0000 0082 0802 10df f793 a10d
1a64 0801 1001 1801 225c 0800 1000 18c0
c0ca afc1 ba96 892e 224c 7b22 6964 223a
3333 3139 3831 3436 3432 3736 3136 3337
3935 322c 2270 6565 7255 524c 7322 3a5b
2268 7474 703a 2f2f 3132 372e 302e 302e
313a 3233 3830 3022 5d2c 226e 616d 6522
3a22 6531 227d 0000 1000 0000 0000 0000
0803 10ee d1e3 e50c 1a06 0801 1000 1801
1000 0000 0000 0000 0802 10ee a6fb d80b
1a06 0800 1002 1802)");

std::vector<WalFrame> frames_of(const std::string& bytes, WalReaderOptions o = {}) {
    WalReader r(as_bytes(bytes), o);
    std::vector<WalFrame> out;
    WalFrame f;
    while (r.next(f)) out.push_back(f);
    return out;
}

}  // namespace

TEST_CASE("etcd crc32c: the check value, chaining, and the table path agree with the instruction") {
    CHECK(crc32c(as_bytes("123456789")) == 0xE3069283u);
    CHECK(crc32c(as_bytes("")) == 0u);
    std::mt19937 rng(7);
    std::string data(10000, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    for (std::size_t cut : {0u, 1u, 7u, 8u, 9u, 4095u, 10000u}) {
        const auto a = as_bytes(std::string_view(data).substr(0, cut));
        const auto b = as_bytes(std::string_view(data).substr(cut));
        CHECK(crc32c_extend(crc32c(a), b) == crc32c(as_bytes(data)));
        CHECK(crc32c_extend_portable(crc32c_extend_portable(0, a), b) == crc32c(as_bytes(data)));
    }
}

TEST_CASE("etcd wal: the first records of a real segment decode, and the chain gives etcd's stored values") {
    const std::vector<WalFrame> f = frames_of(kVectorB);
    REQUIRE(f.size() == 6);
    const std::vector<std::uint64_t> offsets{0x0, 0x10, 0x38, 0x50, 0xc8, 0xe0};
    const std::vector<std::uint64_t> types{4, 1, 5, 2, 3, 2};
    const std::vector<std::uint32_t> crcs{0, 0x02de4e0d, 0xd1b14607, 0xd424fbdf, 0xccb8e8ee, 0xbb1ed36e};
    for (std::size_t i = 0; i < f.size(); ++i) {
        CHECK(f[i].offset == offsets[i]);
        CHECK(f[i].type == types[i]);
        CHECK(f[i].crc == crcs[i]);
    }
    const WalMetadata m = decode_metadata(f[1].data);
    CHECK(m.node_id == 0x2e1259d415f2a040ull);
    CHECK(m.cluster_id == 0x048276a8f75b6a87ull);
    const WalSnapshot s = decode_wal_snapshot(f[2].data);
    CHECK(s.index == 0);
    CHECK(s.term == 0);
    CHECK_FALSE(s.conf_state);
    const Entry e1 = decode_entry(f[3].data);
    CHECK(e1.type == 1);
    CHECK(e1.term == 1);
    CHECK(e1.index == 1);
    CHECK(e1.data.size() == 0x5c);
    const HardState h = decode_hard_state(f[4].data);
    CHECK(h.term == 1);
    CHECK(h.vote == 0);
    CHECK(h.commit == 1);
    const Entry e2 = decode_entry(f[5].data);
    CHECK(e2.type == 0);
    CHECK(e2.term == 2);
    CHECK(e2.index == 2);
    CHECK(e2.data.empty());
    WalReader r(as_bytes(kVectorB));
    WalFrame x;
    while (r.next(x)) {
    }
    CHECK(r.end().kind == WalEndKind::Clean);
    CHECK(r.end().cause == WalEndCause::EndOfFile);
    CHECK(r.chain() == 0xbb1ed36eu);
}

TEST_CASE("etcd wal: the encoder writes etcd's exact bytes") {
    const std::vector<WalFrame> f = frames_of(kVectorB);
    WalEncoder enc;
    enc.crc_record();
    enc.metadata({0x2e1259d415f2a040ull, 0x048276a8f75b6a87ull});
    enc.snapshot({0, 0, std::nullopt});
    enc.entry(decode_entry(f[3].data));
    enc.hard_state({1, 0, 1});
    enc.entry({0, 2, 2, {}});
    CHECK(enc.bytes() == kVectorB);
    CHECK(enc.chain() == 0xbb1ed36eu);
    // Framing arithmetic (doc/etcd-wal.md §3): padding to 8 bytes, flagged in the top byte.
    for (std::size_t len : {4u, 16u, 23u, 25u}) {
        const std::string payload(len, 'a');
        const std::string framed = frame_wal_record(2, 0, &payload);
        CHECK(framed.size() % 8 == 0);
        const std::uint64_t word = load_le64(as_bytes(framed).data());
        const std::uint64_t l = word & 0x00ffffffffffffffull;
        const std::uint64_t p = (8 - l % 8) % 8;
        CHECK(framed.size() == 8 + l + p);
        CHECK((word >> 56) == (p ? (0x80 | p) : 0));
    }
}

TEST_CASE("etcd wal: a real .snap file layout decodes and its crc seals the inner message") {
    ConfState cs;
    cs.voters = {0x2e1259d415f2a040ull};
    const std::string bytes = encode_snap_file(R"({"Root":{}})", 101, 2, cs);
    const SnapFile s = decode_snap_file(as_bytes(bytes));
    CHECK(s.crc_ok());
    CHECK(s.index == 101);
    CHECK(s.term == 2);
    CHECK(s.conf_state.voters == cs.voters);
    CHECK(as_chars(s.data) == R"({"Root":{}})");
    std::string flipped = bytes;
    flipped[12] ^= 0x01;
    CHECK_FALSE(decode_snap_file(as_bytes(flipped)).crc_ok());
    CHECK_THROWS_AS(decode_snap_file(as_bytes(std::string())), FormatError);
}

TEST_CASE("etcd wal: end of data, torn tails and damage are told apart as etcd does") {
    WalEncoder enc;
    enc.crc_record();
    enc.metadata({1, 2});
    enc.snapshot({0, 0, std::nullopt});
    for (std::uint64_t i = 1; i <= 10; ++i) enc.entry({0, 1, i, as_bytes(std::string(300, 'v'))});
    const std::string clean = enc.bytes();
    const std::vector<WalFrame> f = frames_of(clean);
    REQUIRE(f.size() == 13);
    const WalFrame& last = f.back();

    SUBCASE("preallocated zeros after the data are a clean end at the zero length word") {
        const std::string segment = enc.preallocated(8192);
        WalReader r(as_bytes(segment));
        WalFrame x;
        std::size_t n = 0;
        while (r.next(x)) ++n;
        CHECK(n == 13);
        CHECK(r.end().kind == WalEndKind::Clean);
        CHECK(r.end().cause == WalEndCause::ZeroLength);
        CHECK(r.end().offset == clean.size());
        CHECK(r.end().nonzero_bytes_after == 0);
    }
    SUBCASE("E1: 4 bytes cut off the end are a torn tail at the last frame") {
        const std::string cut = clean.substr(0, clean.size() - 4);
        WalReader r(as_bytes(cut));
        WalFrame x;
        while (r.next(x)) {
        }
        CHECK(r.end().kind == WalEndKind::TornTail);
        CHECK(r.end().cause == WalEndCause::LengthPastEnd);
        CHECK(r.end().offset == last.offset);
        CHECK(r.end().records == 12);
        WalReaderOptions o;
        o.last_segment = false;
        WalReader r2(as_bytes(cut), o);
        while (r2.next(x)) {
        }
        CHECK(r2.end().kind == WalEndKind::Damaged);
    }
    SUBCASE("E4: a flipped bit in an entry is a crc mismatch at that frame, with the records after it counted") {
        std::string bad = enc.preallocated(8192);
        bad[f[5].data_offset + 20] ^= 0x04;
        WalReader r(as_bytes(bad));
        WalFrame x;
        while (r.next(x)) {
        }
        CHECK(r.end().kind == WalEndKind::Damaged);
        CHECK(r.end().cause == WalEndCause::CrcMismatch);
        CHECK(r.end().offset == f[5].offset);
        CHECK(r.end().stored_crc == f[5].crc);
        CHECK(r.end().resume_offset == f[6].offset);
    }
    SUBCASE("E3: a zero sector in the middle of the last segment looks torn to etcd") {
        std::string bad = enc.preallocated(8192);
        const std::uint64_t sector = (f[4].data_offset / 512 + 1) * 512;
        std::fill(bad.begin() + static_cast<std::ptrdiff_t>(sector), bad.begin() + static_cast<std::ptrdiff_t>(sector + 512), '\0');
        WalReader r(as_bytes(bad));
        WalFrame x;
        while (r.next(x)) {
        }
        CHECK(r.end().kind == WalEndKind::TornTail);
        CHECK(r.end().offset <= sector);
        CHECK(r.end().resume_offset.has_value());  // records follow: not a harmless tail
        CHECK(r.end().nonzero_bytes_after > 0);
    }
    SUBCASE("E5: a length word over 10 MiB is damage even at the tail") {
        std::string bad = enc.preallocated(8192);
        std::string word;
        append_le64(word, 16u << 20);
        bad.replace(last.offset, 8, word);
        WalReader r(as_bytes(bad));
        WalFrame x;
        while (r.next(x)) {
        }
        CHECK(r.end().kind == WalEndKind::Damaged);
        CHECK(r.end().cause == WalEndCause::LengthOverLimit);
        CHECK(r.end().offset == last.offset);
    }
    SUBCASE("E6: a zeroed length word in the middle ends the data, and the records behind it are found") {
        std::string bad = enc.preallocated(8192);
        bad.replace(f[7].offset, 8, std::string(8, '\0'));
        WalReader r(as_bytes(bad));
        WalFrame x;
        while (r.next(x)) {
        }
        CHECK(r.end().kind == WalEndKind::Clean);
        CHECK(r.end().cause == WalEndCause::ZeroLength);
        CHECK(r.end().offset == f[7].offset);
        CHECK(r.end().nonzero_bytes_after > 0);
        CHECK(r.end().resume_offset == f[8].offset);
    }
    SUBCASE("a crc record that does not carry the running chain breaks it") {
        WalEncoder next(enc.chain() ^ 1);  // as if a record had changed in the previous segment
        next.crc_record();
        WalReaderOptions o;
        o.chain = enc.chain();
        WalReader r(as_bytes(next.bytes()), o);
        WalFrame x;
        CHECK_FALSE(r.next(x));
        CHECK(r.end().cause == WalEndCause::CrcRecordMismatch);
        WalReaderOptions unknown;  // chain 0: etcd does not check, and re-seeds
        WalReader r2(as_bytes(next.bytes()), unknown);
        CHECK(r2.next(x));
        CHECK(r2.chain() == (enc.chain() ^ 1));
    }
}

TEST_CASE("etcd wal: hostile bytes end the read with a finding, never a throw or a huge allocation") {
    std::mt19937 rng(11);
    for (int round = 0; round < 500; ++round) {
        std::string bytes(static_cast<std::size_t>(rng() % 600), '\0');
        for (auto& c : bytes) c = static_cast<char>(rng());
        if (round % 3 == 0 && bytes.size() >= 16) bytes.replace(0, 16, kVectorB.substr(0, 16));
        WalReader r(as_bytes(bytes));
        WalFrame x;
        std::size_t n = 0;
        while (r.next(x)) {
            ++n;
            CHECK(x.offset + x.size <= bytes.size());
        }
        CHECK(r.end().offset <= bytes.size());
        CHECK(n <= bytes.size() / 8);
    }
}
