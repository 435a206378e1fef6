// Logs whose names overlap (a log named inside an older log's zxids), built
// from real ZooKeeper 3.8 logs: verify names what ZooKeeper's choice of files
// by name loses, dump prints every txn in zxid order.
#include "helpers.h"
#include "libformat/common/mapped_file.h"
#include "libformat/common/zlib_codec.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_format.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/verify.h"
#include "tools/cmd_dump.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

// The zxids of a log's readable records, in file order.
std::vector<std::int64_t> log_zxids(const fs::path& log) {
    MappedFile m(log);
    zab::TxnLogReader r(m.bytes());
    std::vector<std::int64_t> out;
    zab::TxnLogRecord rec;
    while (r.next(rec)) out.push_back(zab::decode_txn_header(rec.payload).zxid);
    return out;
}

// Writes `to`: the header of `from` and its records with zxid in [first, last], byte for byte.
void cut_copy(const fs::path& from, const fs::path& to, std::int64_t first, std::int64_t last) {
    MappedFile m(from);
    const ByteSpan b = m.bytes();
    std::string out(reinterpret_cast<const char*>(b.data()), zab::kTxnLogHeaderSize);
    zab::TxnLogReader r(b);
    zab::TxnLogRecord rec;
    while (r.next(rec)) {
        const std::int64_t z = zab::decode_txn_header(rec.payload).zxid;
        if (z >= first && z <= last) out.append(reinterpret_cast<const char*>(b.data() + rec.offset), rec.size());
    }
    test::spit(to, out);
}

// A copy of the standalone fixture's version-2.
fs::path standalone_copy(const test::TempDir& tmp) {
    const fs::path v2 = tmp.path() / "version-2";
    fs::copy(test::fixtures() / "zk/standalone/data/version-2", v2);
    return v2;
}

// Every zxid in every log of the dir, sorted (duplicates kept).
std::vector<std::int64_t> all_zxids(const fs::path& v2) {
    std::vector<std::int64_t> out;
    for (const auto& f : zab::list_data_dir(v2).logs) {
        const auto z = log_zxids(f.path);
        out.insert(out.end(), z.begin(), z.end());
    }
    std::sort(out.begin(), out.end());
    return out;
}

struct Dumped {
    std::vector<std::int64_t> zxids;  // in output order
    std::string err;
    bool json_valid_lines = true;
};

Dumped dump_json(const fs::path& dir, std::optional<std::int64_t> from = std::nullopt, std::uint64_t limit = 0) {
    tools::DumpOptions o;
    o.paths = {dir.string()};
    o.format = tools::DumpFormat::Json;
    o.filter.from = from;
    o.limit = limit;
    std::ostringstream out, err;
    CHECK(tools::run_dump(o, out, err) == tools::Outcome::Ok);
    Dumped d;
    d.err = err.str();
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("{") || !line.ends_with("}")) d.json_valid_lines = false;
        const auto at = line.find("\"zxid\":\"0x");
        if (line.starts_with("{\"record\":\"txn\"") && at != std::string::npos) {
            d.zxids.push_back(std::stoll(line.substr(at + 10), nullptr, 16));
        }
    }
    return d;
}

zab::VerifyOptions no_replay() {
    zab::VerifyOptions o;
    o.replay = false;
    return o;
}

const zab::Finding* find_code(const zab::VerifyReport& r, const std::string& code) {
    for (const auto& f : r.findings) {
        if (f.code == code) return &f;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("a hand-cut log named inside an older log's zxids: verify names the txns lost and where, exit 4") {
    test::TempDir tmp;
    const fs::path v2 = standalone_copy(tmp);
    const auto older = log_zxids(v2 / "log.1f");
    REQUIRE(older.front() == 0x1f);
    REQUIRE(older.back() == 0x44);
    // log.30 holds a copy of 0x30..0x35 only: reading from above 0x30,
    // ZooKeeper starts at log.30 and never reads log.1f's 0x36..0x44.
    cut_copy(v2 / "log.1f", v2 / "log.30", 0x30, 0x35);

    const test::CommandResult r = test::run_command({ZABRA_BINARY, "verify", "--no-replay", tmp.path().string()});
    CHECK((r.status & 4) == 4);
    CHECK(r.out.find("log-overlap") != std::string::npos);

    const zab::VerifyReport report = zab::verify({tmp.path()}, no_replay());
    const zab::Finding* f = find_code(report, "log-overlap");
    REQUIRE(f != nullptr);
    CHECK(f->severity == zab::Severity::Error);
    CHECK(f->file == v2 / "log.30");
    CHECK(f->zxid == 0x36);
    INFO(f->message);
    CHECK(f->message.find("0x36..0x44 (15 txns)") != std::string::npos);
    CHECK(f->message.find("15 of its txns") != std::string::npos);
    // snapshot.43 lies in the range: a restore from it reads from 0x44, which is lost.
    CHECK(f->message.find("snapshot.43") != std::string::npos);
    // A learner at 0x31..0x43: the leader starts at log.30 (it begins at 0x30, at or below) and skips log.1f.
    CHECK(f->message.find("[0x31,0x43]") != std::string::npos);
    // The step back from log.1f's 0x44 to log.30's 0x30 is this finding's, not a second one.
    CHECK(find_code(report, "zxid-backwards") == nullptr);
}

TEST_CASE("dump of overlapping logs prints every txn in zxid order, and --from inside the overlap reads the older log") {
    test::TempDir tmp;
    const fs::path v2 = standalone_copy(tmp);
    cut_copy(v2 / "log.1f", v2 / "log.30", 0x30, 0x35);
    const std::vector<std::int64_t> expected = all_zxids(v2);

    for (std::uint64_t limit : {0u, 1000000u}) {  // chunked on other cores, and one at a time
        CAPTURE(limit);
        const Dumped d = dump_json(tmp.path(), std::nullopt, limit);
        CHECK(d.json_valid_lines);
        CHECK(std::is_sorted(d.zxids.begin(), d.zxids.end()));
        std::vector<std::int64_t> got = d.zxids;
        std::sort(got.begin(), got.end());
        CHECK(got == expected);
        CHECK(d.err.find("log.1f holds 20 txn(s) (0x31..0x44) past the name of log.30") != std::string::npos);
    }

    // ZooKeeper's choice from 0x38 would be log.30 and later: 0x38..0x44 of log.1f would be missing.
    const Dumped d = dump_json(tmp.path(), 0x38);
    std::vector<std::int64_t> want;
    for (std::int64_t z : expected) {
        if (z >= 0x38) want.push_back(z);
    }
    CHECK(d.zxids == want);
    CHECK(std::count(d.zxids.begin(), d.zxids.end(), 0x44) == 1);
    CHECK(std::count(d.zxids.begin(), d.zxids.end(), 0x38) == 1);
}

TEST_CASE("an overlapping log that holds all the older log's later txns loses nothing: a warning, not an error") {
    test::TempDir tmp;
    const fs::path v2 = standalone_copy(tmp);
    cut_copy(v2 / "log.1f", v2 / "log.3a", 0x3a, 0x44);  // a leftover copy of log.1f's tail

    const zab::VerifyReport report = zab::verify({tmp.path()}, no_replay());
    const zab::Finding* f = find_code(report, "log-overlap");
    REQUIRE(f != nullptr);
    INFO(f->message);
    CHECK(f->severity == zab::Severity::Warning);
    CHECK(f->message.find("0x3b..0x44 (10 txns)") != std::string::npos);
    CHECK(f->message.find("none is lost") != std::string::npos);
    CHECK(find_code(report, "zxid-backwards") == nullptr);
    CHECK(report.count(zab::Severity::Error) == 0);

    const Dumped d = dump_json(tmp.path());
    std::vector<std::int64_t> got = d.zxids;
    CHECK(std::is_sorted(got.begin(), got.end()));
    std::sort(got.begin(), got.end());
    CHECK(got == all_zxids(v2));
}

TEST_CASE("a copy whose txns differ from the later log's is an error even when nothing is lost") {
    test::TempDir tmp;
    const fs::path v2 = standalone_copy(tmp);
    cut_copy(v2 / "log.1f", v2 / "log.3a", 0x3a, 0x44);
    // Change one byte of the last record's payload in log.1f (its time), keeping it readable:
    // restamp the checksum as a writer would, so only the content differs.
    std::string bytes = test::slurp(v2 / "log.1f");
    {
        MappedFile m(v2 / "log.1f");
        zab::TxnLogReader r(m.bytes());
        zab::TxnLogRecord rec, last;
        while (r.next(rec)) last = rec;
        const std::size_t payload_at = last.offset + 12;
        bytes[payload_at + 20] ^= 1;  // inside the header's time field
        const std::uint32_t crc = adler32_of(as_bytes(std::string_view(bytes).substr(payload_at, last.payload.size())));
        for (int i = 0; i < 8; ++i) bytes[last.offset + i] = static_cast<char>(i < 4 ? 0 : crc >> (8 * (7 - i)));
    }
    test::spit(v2 / "log.1f", bytes);

    const zab::VerifyReport report = zab::verify({tmp.path()}, no_replay());
    const zab::Finding* f = find_code(report, "log-overlap");
    REQUIRE(f != nullptr);
    INFO(f->message);
    CHECK(f->severity == zab::Severity::Error);
    CHECK(f->message.find("1 txn(s) the later logs also hold differ") != std::string::npos);
}

TEST_CASE("logs that do not overlap give no log-overlap finding and dump as before") {
    test::TempDir tmp;
    const fs::path v2 = standalone_copy(tmp);
    const zab::VerifyReport report = zab::verify({tmp.path()}, no_replay());
    CHECK(find_code(report, "log-overlap") == nullptr);
    const Dumped d = dump_json(tmp.path());
    CHECK(d.zxids == all_zxids(v2));
    CHECK(d.err.empty());
}
