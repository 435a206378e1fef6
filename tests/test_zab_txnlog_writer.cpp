// Re-encoding real logs reproduces ZooKeeper's bytes: each record from its
// decoded Txn, and each whole file (header, records, preallocated size).
#include "helpers.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"

#include <doctest/doctest.h>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

TEST_CASE("every record of every fixture log re-encodes byte for byte from its decoded txn") {
    std::size_t records = 0;
    for (const auto& path : test::fixture_logs()) {
        CAPTURE(path);
        const std::string bytes = test::slurp(path);
        TxnLogReader r(as_bytes(bytes));
        TxnLogRecord rec;
        while (r.next(rec)) {
            CAPTURE(rec.offset);
            const Txn t = decode_txn(rec.payload);
            const std::string framed = frame_record(as_bytes(encode_txn(t)));
            CHECK(framed == bytes.substr(rec.offset, rec.size()));
            ++records;
        }
    }
    CHECK(records > 300);
}

TEST_CASE("writing every fixture log again gives the identical file, padding included") {
    test::TempDir tmp;
    for (const auto& path : test::fixture_logs()) {
        CAPTURE(path);
        const std::string bytes = test::slurp(path);
        const fs::path out = tmp.path() / path.filename();
        {
            TxnLogWriter w(out, {.prealloc_bytes = 64 * 1024, .dbid = 0});
            TxnLogReader r(as_bytes(bytes));
            TxnLogRecord rec;
            while (r.next(rec)) {
                w.append(decode_txn(rec.payload));
                w.flush();  // one commit per txn, as a single synchronous client causes
            }
            w.close();
        }
        CHECK(test::slurp(out) == bytes);
        fs::remove(out);
    }
}

TEST_CASE("preallocation follows FilePadding") {
    CHECK(padded_file_size(16, 16, 65536) == 16 + 65536);
    CHECK(padded_file_size(100, 16 + 65536, 65536) == 16 + 65536);           // far from the end
    CHECK(padded_file_size(65552 - 4096, 65552, 65536) == 65552 + 65536);    // within 4 KiB: grow
    CHECK(padded_file_size(200000, 65552, 65536) == 262144);                 // past the end: next multiple
    CHECK(padded_file_size(100, 16, 0) == 16);                               // disabled
}

TEST_CASE("a fresh log is 16 bytes plus one preallocation step, zeros after the data") {
    test::TempDir tmp;
    const fs::path out = tmp.path() / "log.1";
    Txn t;
    t.header = {0x100, 0, 1, 1000, op::createSession};
    t.body = CreateSessionTxn{30000};
    {
        TxnLogWriter w(out, {.prealloc_bytes = 4096 * 4, .dbid = 0});
        w.append(t);
        w.sync();
    }
    const std::string bytes = test::slurp(out);
    CHECK(bytes.size() == 16 + 4096 * 4);
    TxnLogReader r(as_bytes(bytes));
    TxnLogRecord rec;
    REQUIRE(r.next(rec));
    CHECK(decode_txn(rec.payload).header.zxid == 1);
    CHECK_FALSE(r.next(rec));
    CHECK(r.end().kind == LogEndKind::Clean);
}

TEST_CASE("the writer refuses to overwrite an existing file") {
    test::TempDir tmp;
    test::spit(tmp.path() / "log.1", "x");
    CHECK_THROWS_AS(TxnLogWriter(tmp.path() / "log.1"), std::system_error);
}
