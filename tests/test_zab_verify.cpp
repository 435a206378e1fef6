// zabra verify on real data: clean fixtures give no problems, and each fault
// kind of doc/fault-kinds.md (Z1-Z14), made on a copy of a real data dir, gives
// its finding at the exact offset.
#include "helpers.h"
#include "libformat/common/zlib_codec.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/rollback.h"
#include "libformat/zab/verify.h"

#include <fmt/format.h>

#include <doctest/doctest.h>

#include <algorithm>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

namespace {

// A private copy of a fixture data dir.
struct DirCopy {
    test::TempDir tmp;
    fs::path v2;
    explicit DirCopy(const std::string& set) {
        fs::copy(test::fixtures() / "zk" / set / "data", tmp.path() / "data", fs::copy_options::recursive);
        v2 = tmp.path() / "data" / "version-2";
    }
    VerifyReport verify(VerifyOptions o = {}) const { return zab::verify({tmp.path() / "data"}, o); }
};

std::vector<TxnLogRecord> records_of(const std::string& bytes) {
    std::vector<TxnLogRecord> out;
    TxnLogReader r(as_bytes(bytes));
    TxnLogRecord rec;
    while (r.next(rec)) out.push_back(rec);
    return out;
}

const Finding* find(const VerifyReport& r, const std::string& code) {
    auto it = std::find_if(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return f.code == code; });
    return it == r.findings.end() ? nullptr : &*it;
}

std::string codes(const VerifyReport& r) {
    std::string s;
    for (const auto& f : r.findings) s += std::string(severity_name(f.severity)) + ":" + f.code + " ";
    return s;
}

}  // namespace

TEST_CASE("verify finds no problem in any clean fixture data dir") {
    for (const char* set : {"standalone", "legacy", "ensemble/server1", "ensemble/server2", "ensemble/server3"}) {
        CAPTURE(set);
        const VerifyReport r = verify({test::fixtures() / "zk" / set / "data"});
        CAPTURE(codes(r));
        CHECK(r.count(Severity::Error) == 0);
        CHECK(r.count(Severity::Warning) == 0);
        for (const auto& f : r.findings) CHECK(f.code == "zxid-gap-covered");  // learners synced by SNAP
        CHECK(r.stats.records > 50);
        CHECK(r.stats.chosen_snapshot);
        if (std::string(set) != "legacy") CHECK(r.stats.digests_compared > 0);  // legacy: digests disabled
    }
}

TEST_CASE("verify: a top-level check txn (ZOOKEEPER-2623) is an error at its record") {
    const VerifyReport r = verify({test::fixtures() / "zk/check13/data"});
    const Finding* f = find(r, "txn-top-level-check");
    REQUIRE(f);
    CHECK(f->severity == Severity::Error);
    CHECK(f->record == 4);
    CHECK(f->zxid == 5);
    CHECK(f->offset == records_of(test::slurp(test::fixtures() / "zk/check13/data/version-2/log.1"))[4].offset);
}

TEST_CASE("verify: log fault kinds Z1-Z10") {
    DirCopy d("standalone");
    const fs::path mid = d.v2 / "log.45";  // a log in the middle of the set
    const std::string mid_bytes = test::slurp(mid);
    const auto recs = records_of(mid_bytes);
    REQUIRE(recs.size() > 6);

    SUBCASE("Z1: newest log with an incomplete header") {
        test::spit(d.v2 / "log.df", "\x5a\x4b\x4c\x47\0\0\0\x02");
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "log-short-header");
        REQUIRE(f);
        CHECK(f->file.filename() == "log.df");
        CHECK(f->action.find("move it aside") != std::string::npos);
    }
    SUBCASE("Z1: newest log of 0 bytes") {
        test::spit(d.v2 / "log.df", "");
        const VerifyReport r1 = d.verify();
        const Finding* f = find(r1, "log-empty");
        REQUIRE(f);
        CHECK(f->severity == Severity::Error);
        CHECK(f->action.find("move it aside") != std::string::npos);
    }
    SUBCASE("Z2: bad magic") {
        std::string b = mid_bytes;
        b[1] ^= 0x20;
        test::spit(mid, b);
        const VerifyReport r2 = d.verify();
        const Finding* f = find(r2, "log-bad-magic");
        REQUIRE(f);
        CHECK(f->file == mid);
        CHECK(f->offset == 0);
    }
    SUBCASE("Z3: a flipped payload bit in a middle record") {
        std::string b = mid_bytes;
        b[recs[3].offset + 12 + 40] ^= 0x10;
        test::spit(mid, b);
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "log-checksum-mismatch");
        REQUIRE(f);
        CHECK(f->file == mid);
        CHECK(f->offset == recs[3].offset);
        CHECK(f->record == 3);
        CHECK(f->zxid == decode_txn(recs[2].payload).header.zxid);  // the last good zxid
        CHECK(f->message.find("readable records follow") != std::string::npos);
    }
    SUBCASE("Z4: a zeroed 4 KiB block from a middle record on: the rest of the file is lost") {
        std::string b = mid_bytes;
        std::fill(b.begin() + static_cast<long>(recs[3].offset), b.begin() + static_cast<long>(recs[3].offset + 4096),
                  '\0');
        test::spit(mid, b);
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "zxid-gap");
        REQUIRE(f);
        CHECK(f->severity == Severity::Error);
        CHECK(f->file == d.v2 / "log.5e");  // found where the logs go on
        CHECK(f->offset == 16);
        CHECK(f->message.find(fmt::format("0x{:x}", decode_txn(recs[3].payload).header.zxid)) != std::string::npos);
    }
    SUBCASE("Z4/Z5: a zero length or a bad end-of-record byte mid-file hides the records after it") {
        for (bool zero_len : {true, false}) {
            CAPTURE(zero_len);
            std::string b = mid_bytes;
            if (zero_len) {
                std::fill(b.begin() + static_cast<long>(recs[3].offset),
                          b.begin() + static_cast<long>(recs[3].offset + 12), '\0');
            } else {
                b[recs[3].offset + recs[3].size() - 1] = 'C';
            }
            test::spit(mid, b);
            const VerifyReport r = d.verify();
            const Finding* f = find(r, "log-hidden-records");
            REQUIRE(f);
            CHECK(f->offset == recs[3].offset);
            CHECK(f->record == 3);
            CHECK(f->message.find("silently skips") != std::string::npos);
            CHECK(f->message.find(fmt::format("{} readable records follow", recs.size() - (zero_len ? 4 : 4))) !=
                  std::string::npos);
        }
    }
    SUBCASE("Z6: the newest log cut inside its last record is a torn tail (a warning)") {
        const fs::path last = d.v2 / "log.cd";
        const std::string b = test::slurp(last);
        const auto lr = records_of(b);
        test::spit(last, b.substr(0, lr.back().offset + 20));
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "log-torn-tail");
        REQUIRE(f);
        CHECK(f->severity == Severity::Warning);
        CHECK(f->offset == lr.back().offset);
        CHECK(r.count(Severity::Error) == 0);
    }
    SUBCASE("Z7: implausible lengths") {
        for (const char* len : {"\x7f\xff\xff\xff", "\xff\xff\xff\xff"}) {
            std::string b = mid_bytes;
            std::copy(len, len + 4, b.begin() + static_cast<long>(recs[2].offset + 8));
            test::spit(mid, b);
            const VerifyReport r3 = d.verify();
        const Finding* f = find(r3, "log-bad-length");
            REQUIRE(f);
            CHECK(f->offset == recs[2].offset);
        }
    }
    SUBCASE("Z8: the last record of the newest log fails its checksum, nothing after it") {
        const fs::path last = d.v2 / "log.cd";
        std::string b = test::slurp(last);
        const auto lr = records_of(b);
        b[lr.back().offset + 12 + 35] ^= 0x01;
        test::spit(last, b);
        const VerifyReport r4 = d.verify();
        const Finding* f = find(r4, "log-checksum-mismatch");
        REQUIRE(f);
        CHECK(f->offset == lr.back().offset);
        CHECK(f->message.find("torn write") != std::string::npos);
        // verify and repair give the same way out: repair does not cut the
        // record, rollback to the txn before it does, and then all is clean.
        const std::string before = zxid_hex(decode_txn_header(lr[lr.size() - 2].payload).zxid);
        CHECK(f->action.find("zabra rollback DIR --to " + before) != std::string::npos);
        const RepairPlan repair = plan_repair(d.v2);
        CHECK(repair.plan.steps.empty());
        REQUIRE(repair.unrepairable.size() == 1);
        CHECK(repair.unrepairable[0].find("--to " + before) != std::string::npos);
        const RollbackPlan cut = plan_rollback(d.v2, decode_txn_header(lr[lr.size() - 2].payload).zxid);
        REQUIRE(cut.plan.steps.size() == 1);
        CHECK(cut.plan.steps[0].kind == FileStep::Kind::Cut);
        CHECK(cut.plan.steps[0].new_size == lr.back().offset);
    }
    SUBCASE("Z9: an empty log in the middle") {
        test::spit(mid, "");
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "log-empty");
        REQUIRE(f);
        CHECK(f->file == mid);
        CHECK(f->action.find("resync") != std::string::npos);  // not the newest: not safe to drop
        CHECK(find(r, "zxid-gap"));
    }
    SUBCASE("Z10: a deleted middle log is a gap, with the missing zxids") {
        fs::remove(mid);
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "zxid-gap");
        REQUIRE(f);
        CHECK(f->file == d.v2 / "log.5e");
        CHECK(f->message.find("txns 0x45..0x5d are missing") != std::string::npos);
    }
    SUBCASE("a leftover log.X.fixed is named as a file ZooKeeper would replay again") {
        fs::copy_file(mid, d.v2 / "log.45.fixed");
        const VerifyReport r5 = d.verify();
        const Finding* f = find(r5, "name-non-canonical");
        REQUIRE(f);
        CHECK(f->file.filename() == "log.45.fixed");
        CHECK(f->message.find("zxid 0x45") != std::string::npos);
    }
}

TEST_CASE("verify: snapshot fault kinds Z11-Z13 and coverage") {
    DirCopy d("standalone");
    // Make the newest snapshot a plain one, so that body bytes can be edited.
    fs::remove(d.v2 / "snapshot.cc.snappy");
    fs::remove(d.v2 / "snapshot.ba.gz");
    const fs::path newest = d.v2 / "snapshot.a9";
    const std::string bytes = test::slurp(newest);

    SUBCASE("Z11: a flipped body byte fails seal 1, and ZooKeeper falls back to the previous snapshot") {
        std::string b = bytes;
        b[bytes.size() / 2] ^= 0x01;
        test::spit(newest, b);
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "snapshot-seal-mismatch");
        if (f == nullptr) f = find(r, "snapshot-undecodable");  // the flip may land in a length
        REQUIRE(f);
        CHECK(f->file == newest);
        const Finding* fb = find(r, "snapshot-fallback");
        REQUIRE(fb);
        CHECK(fb->file.filename() == "snapshot.8c");
        CHECK(r.stats.chosen_snapshot->filename() == "snapshot.8c");
    }
    SUBCASE("Z12: a truncated newest snapshot is skipped") {
        test::spit(newest, bytes.substr(0, bytes.size() - 100));
        const VerifyReport r = d.verify();
        CHECK(find(r, "snapshot-truncated"));
        CHECK(r.stats.chosen_snapshot->filename() == "snapshot.8c");
    }
    SUBCASE("Z13: no valid snapshot while logs remain") {
        for (const auto& e : fs::directory_iterator(d.v2)) {
            if (e.path().filename().string().starts_with("snapshot.")) test::spit(e.path(), "junk");
        }
        const VerifyReport r6 = d.verify();
        const Finding* f = find(r6, "no-valid-snapshot");
        REQUIRE(f);
        CHECK(f->severity == Severity::Error);
    }
    SUBCASE("the log after the snapshot ZooKeeper loads is missing") {
        fs::remove(newest);
        fs::remove(d.v2 / "log.79");  // holds 0x8d, right after snapshot.8c
        const VerifyReport r = d.verify();
        const Finding* f = find(r, "snapshot-not-covered");
        REQUIRE(f);
        CHECK(f->zxid == 0x8e);
        CHECK(f->message.find("snapshot.8c") != std::string::npos);
    }
}

TEST_CASE("verify: a txn whose data was changed and its checksum restamped shows as a digest mismatch") {
    // What TxnLogToolkit -r does to a damaged record: the checksum is fine
    // again, the data is not. Only the digest on replay can tell.
    DirCopy d("standalone");
    const fs::path last = d.v2 / "log.cd";
    std::string b = test::slurp(last);
    const auto recs = records_of(b);
    std::optional<TxnLogRecord> victim;
    for (const auto& rec : recs) {
        const Txn t = decode_txn(rec.payload);
        if (t.header.type == op::setData && t.digest && !std::get<SetDataTxn>(t.body).data->empty()) {
            victim = rec;
            break;
        }
    }
    REQUIRE(victim);
    const Txn t = decode_txn(victim->payload);
    const auto& sd = std::get<SetDataTxn>(t.body);
    const std::uint64_t data_at = victim->offset + 12 + kTxnHeaderSize + 4 + sd.path.size() + 4;
    b[data_at] ^= 0x01;
    const std::uint32_t crc = adler32_of(as_bytes(b).subspan(victim->offset + 12, victim->payload.size()));
    for (int i = 0; i < 4; ++i) b[victim->offset + 4 + i] = static_cast<char>(crc >> (24 - 8 * i));
    test::spit(last, b);
    const VerifyReport r = d.verify();
    const Finding* f = find(r, "digest-mismatch");
    REQUIRE(f);
    CHECK(f->zxid == t.header.zxid);
    CHECK(f->offset == victim->offset);
    CHECK(find(r, "log-checksum-mismatch") == nullptr);
    VerifyOptions no_replay;
    no_replay.replay = false;
    const VerifyReport quiet = d.verify(no_replay);
    CHECK(find(quiet, "digest-mismatch") == nullptr);
}

TEST_CASE("verify: epoch files (Z14)") {
    DirCopy d("ensemble/server1");
    SUBCASE("currentEpoch below the epoch of the newest zxid") {
        test::spit(d.v2 / "currentEpoch", "3");
        const VerifyReport r7 = d.verify();
        const Finding* f = find(r7, "epoch-older-than-zxid");
        REQUIRE(f);
        CHECK(f->message.find("currentEpoch is 3") != std::string::npos);
    }
    SUBCASE("junk in currentEpoch") {
        test::spit(d.v2 / "currentEpoch", "four");
        const VerifyReport r = d.verify();
        CHECK(find(r, "epoch-file-junk"));
    }
    SUBCASE("acceptedEpoch below currentEpoch") {
        test::spit(d.v2 / "acceptedEpoch", "3");
        const VerifyReport r = d.verify();
        CHECK(find(r, "epoch-accepted-below-current"));
    }
    SUBCASE("an interrupted epoch update is noted, not failed") {
        test::spit(d.v2 / "currentEpoch", "3");
        test::spit(d.v2 / "currentEpoch.tmp", "4");
        const VerifyReport r = d.verify();
        CHECK(find(r, "epoch-tmp-present"));
        CHECK_FALSE(find(r, "epoch-older-than-zxid"));
    }
}

TEST_CASE("verify: a missing path is an unreadable input, not a crash") {
    const VerifyReport r = verify({"/nonexistent/zabra"});
    CHECK(r.unreadable);
    CHECK(find(r, "unreadable"));
}

TEST_CASE("verify: a directory without logs or snapshots is a warning that names where the data is") {
    DirCopy d("standalone");
    const VerifyReport above = zab::verify({d.tmp.path()});  // one level too high
    const Finding* f = find(above, "no-data");
    REQUIRE(f);
    CHECK(f->severity == Severity::Warning);
    CHECK(f->message.find((d.tmp.path() / "data").string() + " holds one") != std::string::npos);
    CHECK_FALSE(find(d.verify(), "no-data"));
}

TEST_CASE("verify notes a header-only newest log, the file repair moves aside") {
    DirCopy d("standalone");
    const VerifyReport clean = d.verify();
    CHECK(find(clean, "log-header-only") == nullptr);
    // The newest log as a server leaves it when it stops right after creating it.
    std::int64_t last = 0;
    for (const auto& f : list_data_dir(d.v2).logs) last = std::max(last, f.name.zxid);
    const fs::path header_only = d.v2 / log_file_name(last + 0x1000);
    test::spit(header_only, test::slurp(d.v2 / log_file_name(last)).substr(0, 16) + std::string(65536, '\0'));
    const VerifyReport r = d.verify();
    const Finding* f = find(r, "log-header-only");
    REQUIRE(f != nullptr);
    CHECK(f->severity == Severity::Info);
    CHECK(f->file == header_only);
    const RepairPlan plan = plan_repair(d.v2);
    REQUIRE(plan.plan.steps.size() == 1);
    CHECK(plan.plan.steps[0].file == header_only);
    CHECK(plan.plan.steps[0].kind == FileStep::Kind::MoveAside);
}
