// zabra verify on etcd data: each fault kind of doc/fault-kinds.md (E1-E8) and
// the raft invariants, injected on purpose into a copy of a real member, is
// found with its code at the exact frame offset.
#include "helpers.h"
#include "libformat/common/mapped_file.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/wal_reader.h"
#include "libformat/etcd/wal_verify.h"
#include "libformat/etcd/wal_writer.h"

#include <doctest/doctest.h>

#include <fstream>

using namespace zabra;
using namespace zabra::etcd;
namespace fs = std::filesystem;

namespace {

struct Member {
    test::TempDir tmp;
    fs::path dir;
    MemberDir files;
    Member() : dir(test::restore_etcd_member("e1", tmp.path())), files(list_member_dir(dir)) {
        REQUIRE(files.segments.size() == 2);
    }
    const fs::path& first() const { return files.segments[0].path; }
    const fs::path& last() const { return files.segments[1].path; }
    VerifyReport verify() const {
        VerifyReport r;
        verify_member(list_member_dir(dir), r);
        return r;
    }
};

std::vector<WalFrame> frames(const fs::path& file, std::string& keep) {
    keep = test::slurp(file);
    WalReader r(as_bytes(keep));
    std::vector<WalFrame> out;
    WalFrame f;
    while (r.next(f)) out.push_back(f);
    return out;
}

const Finding* find(const VerifyReport& r, const std::string& code) {
    for (const auto& f : r.findings) {
        if (f.code == code) return &f;
    }
    return nullptr;
}

std::size_t errors(const VerifyReport& r) { return r.count(Severity::Error); }

void patch(const fs::path& file, std::uint64_t offset, const std::string& bytes) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::size_t nth_entry(const std::vector<WalFrame>& fr, std::size_t n) {
    for (std::size_t i = 0, seen = 0; i < fr.size(); ++i) {
        if (fr[i].type == 2 && seen++ == n) return i;
    }
    FAIL("no such entry");
    return 0;
}

}  // namespace

TEST_CASE("etcd verify: the last segment's torn tail is a warning at its last frame (E1, E2)") {
    Member m;
    std::string bytes;
    const auto fr = frames(m.last(), bytes);
    const WalFrame& tail = fr.back();
    SUBCASE("E1: cut short inside the last frame") {
        fs::resize_file(m.last(), tail.offset + tail.size - 4);
    }
    SUBCASE("E2: the last frame's second half never reached the disk") {
        const std::uint64_t from = std::max<std::uint64_t>(tail.offset + 8, (tail.offset + tail.size) / 512 * 512);
        patch(m.last(), from, std::string(tail.offset + tail.size - from, '\0'));
    }
    const VerifyReport r = m.verify();
    const Finding* f = find(r, "wal-torn-tail");
    REQUIRE(f);
    CHECK(f->severity == Severity::Warning);
    CHECK(f->offset == tail.offset);
    CHECK(f->record == tail.index);
    CHECK(errors(r) == 0);
}

TEST_CASE("etcd verify: a zero sector with records after it in the last segment is an error, not a torn tail (E3)") {
    Member m;
    std::string bytes;
    const auto fr = frames(m.last(), bytes);
    const WalFrame& victim = fr[fr.size() / 2];
    const std::uint64_t sector = (victim.offset / 512 + 1) * 512;
    patch(m.last(), sector, std::string(512, '\0'));
    const VerifyReport r = m.verify();
    const Finding* f = find(r, "wal-torn-with-records-after");
    REQUIRE(f);
    CHECK(f->severity == Severity::Error);
    CHECK(*f->offset <= sector);
    CHECK(*f->offset + 8 > sector - 512);  // the frame the zero sector falls in
    CHECK(f->message.find("entries") != std::string::npos);
}

TEST_CASE("etcd verify: a flipped bit in an entry is a crc mismatch at that frame with its index (E4)") {
    Member m;
    std::string bytes;
    const auto fr = frames(m.first(), bytes);
    const WalFrame& victim = fr[nth_entry(fr, 30)];
    const Entry e = decode_entry(victim.data, victim.data_offset);
    patch(m.first(), victim.data_offset + victim.data.size() - 1, std::string(1, static_cast<char>(bytes[victim.data_offset + victim.data.size() - 1] ^ 0x10)));
    const VerifyReport r = m.verify();
    const Finding* f = find(r, "wal-crc-mismatch");
    REQUIRE(f);
    CHECK(f->severity == Severity::Error);
    CHECK(f->file == m.first());
    CHECK(f->offset == victim.offset);
    CHECK(f->record == victim.index);
    CHECK(f->index == e.index - 1);  // the last good entry
    CHECK(f->message.find("well-formed records after it") != std::string::npos);
}

TEST_CASE("etcd verify: a length word over 10 MiB is an error even at the tail (E5)") {
    Member m;
    std::string bytes;
    const auto fr = frames(m.last(), bytes);
    std::string word;
    append_le64(word, 16u << 20);
    patch(m.last(), fr.back().offset, word);
    const VerifyReport r = m.verify();
    const Finding* f = find(r, "wal-length-over-limit");
    REQUIRE(f);
    CHECK(f->offset == fr.back().offset);
}

TEST_CASE("etcd verify: a zeroed length word mid-segment hides the rest, and the next segment's chain breaks (E6)") {
    Member m;
    std::string bytes;
    const auto fr = frames(m.first(), bytes);
    const WalFrame& victim = fr[fr.size() / 2];
    patch(m.first(), victim.offset, std::string(8, '\0'));
    const VerifyReport r = m.verify();
    const Finding* hidden = find(r, "wal-hidden-records");
    REQUIRE(hidden);
    CHECK(hidden->severity == Severity::Error);
    CHECK(hidden->offset == victim.offset);
    const Finding* chain = find(r, "wal-chain-broken");
    REQUIRE(chain);
    CHECK(chain->file == m.last());
    CHECK(chain->offset == 0);
}

TEST_CASE("etcd verify: segments missing or out of sequence (E7)") {
    Member m;
    SUBCASE("a gap in the sequence numbers") {
        fs::rename(m.last(), m.last().parent_path() / segment_file_name(2, m.files.segments[1].name.index));
        const VerifyReport r = m.verify();
        REQUIRE(find(r, "wal-seq-gap"));
        CHECK(find(r, "wal-seq-gap")->severity == Severity::Error);
    }
    SUBCASE("the first segment purged: etcd still starts from the newest .snap, inside the second") {
        fs::remove(m.first());
        const VerifyReport r = m.verify();
        CHECK(find(r, "wal-purged-start"));
        CHECK(errors(r) == 0);
    }
    SUBCASE("the first segment and every .snap gone: nothing to start from") {
        fs::remove(m.first());
        for (const auto& s : m.files.snaps) fs::remove(s.path);
        const VerifyReport r = m.verify();
        REQUIRE(find(r, "wal-no-start"));
    }
}

TEST_CASE("etcd verify: a damaged newest .snap is reported and etcd falls back to the one before (E8)") {
    Member m;
    const fs::path newest = m.files.snaps.back().path;
    std::string bytes = test::slurp(newest);
    bytes[bytes.size() / 2] ^= 0x01;
    test::spit(newest, bytes);
    const VerifyReport r = m.verify();
    REQUIRE(find(r, "snap-crc-mismatch"));
    CHECK(find(r, "snap-crc-mismatch")->file == newest);
    REQUIRE(r.stats.etcd_snap);
    CHECK(*r.stats.etcd_snap == m.files.snaps[m.files.snaps.size() - 2].path);
}

TEST_CASE("etcd verify: leftovers of repairs and crashes are named") {
    Member m;
    test::spit(m.first().parent_path() / "0.tmp", std::string(4096, '\0'));
    test::spit(m.first().string() + ".broken", "x");
    test::spit(m.first().parent_path() / "notes.txt", "x");
    const VerifyReport r = m.verify();
    CHECK(find(r, "wal-tmp-leftover"));
    CHECK(find(r, "broken-file"));
    CHECK(find(r, "name-unknown"));
}

TEST_CASE("etcd verify: raft invariants of a synthetic log") {
    test::TempDir tmp;
    const fs::path wal = tmp.path() / "member" / "wal";
    fs::create_directories(wal);
    fs::create_directories(tmp.path() / "member" / "snap");
    test::spit(tmp.path() / "member" / "snap" / "db", "bbolt");
    WalEncoder enc;
    enc.crc_record();
    enc.metadata({1, 2});
    enc.snapshot({0, 0, std::nullopt});
    auto put = [&](std::uint64_t term, std::uint64_t index) { enc.entry({0, term, index, {}}); };
    auto verify = [&] {
        test::spit(wal / segment_file_name(0, 0), enc.preallocated(64 * 1024));
        VerifyReport r;
        verify_member(list_member_dir(tmp.path()), r);
        return r;
    };
    for (std::uint64_t i = 1; i <= 5; ++i) put(1, i);
    enc.hard_state({1, 1, 3});
    SUBCASE("a new leader replacing uncommitted entries is normal") {
        put(2, 4);
        put(2, 5);
        enc.hard_state({2, 1, 5});
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-overwrite"));
        CHECK(find(r, "wal-overwrite")->index == 4);
        CHECK(errors(r) == 0);
    }
    SUBCASE("replacing a committed entry is an error") {
        put(2, 2);
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-committed-overwritten"));
        CHECK(find(r, "wal-committed-overwritten")->index == 2);
    }
    SUBCASE("a missing index is the future 'slice bounds out of range'") {
        put(1, 8);
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-index-gap"));
        CHECK(find(r, "wal-index-gap")->index == 8);
        CHECK(find(r, "wal-index-gap")->message.find("6..7") != std::string::npos);
    }
    SUBCASE("a commit index beyond the last entry is etcd's start-up panic") {
        enc.hard_state({1, 1, 9});
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-commit-beyond-last"));
    }
    SUBCASE("a lower term after a higher one") {
        put(3, 6);
        put(2, 7);
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-term-backwards"));
        CHECK(find(r, "wal-term-backwards")->index == 7);
    }
    SUBCASE("an entry whose data etcd cannot apply") {
        const std::string junk("\xff\xff\xff", 3);
        enc.entry({0, 1, 6, as_bytes(junk)});
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-entry-undecodable"));
        CHECK(find(r, "wal-entry-undecodable")->index == 6);
        CHECK(find(r, "wal-entry-undecodable")->severity == Severity::Error);
    }
    SUBCASE("metadata of another member") {
        enc.metadata({9, 2});
        const VerifyReport r = verify();
        REQUIRE(find(r, "wal-metadata-conflict"));
    }
    SUBCASE("clean") {
        const VerifyReport r = verify();
        CHECK(r.findings.empty());
        CHECK(r.stats.last_index == 5);
        CHECK(r.stats.commit == 3);
    }
}
