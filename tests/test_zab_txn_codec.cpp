// Txn payload decoding and encoding (doc/zookeeper-txnlog.md §3), checked against
// records copied byte for byte from a real 3.8.0 log (TV2-TV6 in the case names
// number those records).
#include "helpers.h"
#include "libformat/common/zlib_codec.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"

#include <doctest/doctest.h>

using namespace zabra;
using namespace zabra::zab;
using zabra::test::unhex;

namespace {

// A framed record: crc(8) len(4) payload EOR.
ByteSpan payload_of(const std::string& record) {
    return as_bytes(record).subspan(12, record.size() - 13);
}

const std::string kCreateSession = unhex(
    "00000000931b08c5 00000030 01000002553c0000 00000000 0000000000000001 000001a216890272 fffffff6"
    "00002710 00000002 0000000051c6d660 42");
const std::string kCreateApp = unhex(
    "000000006ce60a83 00000058 01000002553c0000 00000004 0000000000000002 000001a216890284 00000001"
    "00000004 2f617070 00000000 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65 00 00000001"
    "00000002 00000000a8f22011 42");
const std::string kError = unhex(
    "000000004b6c09fa 00000024 01000002553c0000 00000308 0000000000000306 000001a21689067e ffffffff ffffff92 42");
const std::string kCloseSession = unhex(
    "000000001b940d62 0000003c 01000002553c0000 00000000 0000000000000308 000001a21689308b fffffff5"
    "00000001 00000008 2f6170702f657068 00000002 000000cbd8ec8ad3 42");

}  // namespace

TEST_CASE("createSession record decodes to TV2 and re-encodes to the same bytes") {
    const Txn t = decode_txn(payload_of(kCreateSession));
    CHECK(t.header.client_id == 0x01000002553c0000);
    CHECK(t.header.cxid == 0);
    CHECK(t.header.zxid == 1);
    CHECK(t.header.time == 1795674407538);
    CHECK(t.header.type == op::createSession);
    CHECK(std::get<CreateSessionTxn>(t.body).timeout == 10000);
    REQUIRE(t.digest);
    CHECK(t.digest->version == 2);
    CHECK(t.digest->tree_digest == 0x51c6d660);
    CHECK(frame_record(as_bytes(encode_txn(t))) == kCreateSession);
}

TEST_CASE("create record decodes path, empty data, world ACL, parentCVersion and digest (TV3)") {
    const Txn t = decode_txn(payload_of(kCreateApp));
    const auto& c = std::get<CreateTxn>(t.body);
    CHECK(c.path == "/app");
    REQUIRE(c.data);
    CHECK(c.data->empty());  // empty, not null
    REQUIRE(c.acl);
    CHECK(*c.acl == std::vector<Acl>{{31, "world", "anyone"}});
    CHECK_FALSE(c.ephemeral);
    CHECK(c.parent_cversion == 1);
    CHECK(t.digest->tree_digest == 0xa8f22011);
    CHECK(frame_record(as_bytes(encode_txn(t))) == kCreateApp);
}

TEST_CASE("top-level error txn has no digest (TV4)") {
    const Txn t = decode_txn(payload_of(kError));
    CHECK(t.header.type == op::error);
    CHECK(std::get<ErrorTxn>(t.body).err == -110);
    CHECK_FALSE(t.digest);
    CHECK(t.trailing.empty());
    CHECK(frame_record(as_bytes(encode_txn(t))) == kError);
}

TEST_CASE("closeSession with CloseSessionTxn body lists the ephemerals (TV5)") {
    const Txn t = decode_txn(payload_of(kCloseSession));
    const auto& c = std::get<CloseSessionTxn>(t.body);
    REQUIRE(c.paths_to_delete);
    REQUIRE(*c.paths_to_delete);
    CHECK(**c.paths_to_delete == std::vector<std::string>{"/app/eph"});
    CHECK(t.digest->tree_digest == 0xcbd8ec8ad3);
    CHECK(frame_record(as_bytes(encode_txn(t))) == kCloseSession);
}

TEST_CASE("closeSession without a body (3.5 style) is told apart from one with a digest") {
    const std::string header = unhex("01000002553c0000 00000000 0000000000000308 000001a21689308b fffffff5");
    SUBCASE("no body, no digest") {
        const Txn t = decode_txn(as_bytes(header));
        CHECK_FALSE(std::get<CloseSessionTxn>(t.body).paths_to_delete);
        CHECK_FALSE(t.digest);
        CHECK(encode_txn(t) == header);
    }
    SUBCASE("no body, digest") {
        const std::string p = header + unhex("00000002 000000cbd8ec8ad3");
        const Txn t = decode_txn(as_bytes(p));
        CHECK_FALSE(std::get<CloseSessionTxn>(t.body).paths_to_delete);
        REQUIRE(t.digest);
        CHECK(t.digest->tree_digest == 0xcbd8ec8ad3);
        CHECK(encode_txn(t) == p);
    }
    SUBCASE("empty body, digest") {
        const std::string p = header + unhex("00000000 00000002 000000cbd8ec8ad3");
        const Txn t = decode_txn(as_bytes(p));
        REQUIRE(std::get<CloseSessionTxn>(t.body).paths_to_delete);
        CHECK((*std::get<CloseSessionTxn>(t.body).paths_to_delete)->empty());
        CHECK(t.digest);
        CHECK(encode_txn(t) == p);
    }
}

TEST_CASE("failed multi keeps the real sub-txn before the failing op (TV6)") {
    const std::string p = unhex(
        "01000002553c0000 00000309 0000000000000307 000001a21689067f 0000000e"
        "00000002"
        "00000001 00000030 00000008 2f6170702f747833 00000000 00000001 0000001f 00000005 776f726c64"
        "  00000006 616e796f6e65 00 000001f9"
        "ffffffff 00000004 ffffff92"
        "00000002 000000cc42e557cb");
    const Txn t = decode_txn(as_bytes(p));
    const auto& m = std::get<MultiTxn>(t.body);
    REQUIRE(m.ops);
    REQUIRE(m.ops->size() == 2);
    CHECK((*m.ops)[0].type == op::create);
    CHECK((*m.ops)[0].decode_error.empty());
    CHECK(std::get<CreateTxn>((*m.ops)[0].body).path == "/app/tx3");
    CHECK(std::get<CreateTxn>((*m.ops)[0].body).parent_cversion == 0x1f9);
    CHECK((*m.ops)[1].type == op::error);
    CHECK(std::get<ErrorTxn>((*m.ops)[1].body).err == -110);
    CHECK(t.digest->tree_digest == 0xcc42e557cb);
    CHECK(encode_txn(t) == p);
}

TEST_CASE("a standalone check (opcode 13) decodes as CheckVersionTxn") {
    const std::string p = unhex("0000000000000001 00000005 0000000000000009 0000000000000000 0000000d"
                                "00000002 2f61 00000003 00000002 0000000000001234");
    const Txn t = decode_txn(as_bytes(p));
    const auto& c = std::get<CheckVersionTxn>(t.body);
    CHECK(c.path == "/a");
    CHECK(c.version == 3);
    CHECK(t.digest);
    CHECK(encode_txn(t) == p);
}

TEST_CASE("CreateTxnV0 (no parentCVersion) is accepted for create, as SerializeUtils does") {
    const std::string p = unhex("0000000000000001 00000005 0000000000000009 0000000000000000 00000001"
                                "00000002 2f61 ffffffff ffffffff 01");
    const Txn t = decode_txn(as_bytes(p));
    const auto& c = std::get<CreateTxn>(t.body);
    CHECK(c.v0);
    CHECK(c.parent_cversion == -1);
    CHECK_FALSE(c.data);  // null data
    CHECK_FALSE(c.acl);   // null ACL vector
    CHECK(c.ephemeral);
    CHECK(encode_txn(t) == p);
}

TEST_CASE("a data length over the limit is refused before anything is read") {
    const std::string p = unhex("0000000000000001 00000005 0000000000000009 0000000000000000 00000005"
                                "00000002 2f61 7fffffff");
    try {
        decode_txn(as_bytes(p));
        FAIL("expected FormatError");
    } catch (const TruncatedError&) {
        FAIL("must be a length error, not a truncation");
    } catch (const FormatError& e) {
        CHECK(e.offset() == 38);
        CHECK(std::string(e.what()).find("unreasonable length 2147483647") != std::string::npos);
    }
}

TEST_CASE("opcode names follow ZooKeeper") {
    CHECK(op_name(op::createTTL) == "createTtl");  // Request.op2String
    CHECK(op_label(op::createTTL) == "createTTL");  // ZooDefs.OpCode
    CHECK(op_name(999) == "unknown 999");
    CHECK(parse_op("setData") == op::setData);
    CHECK(parse_op("createTtl") == op::createTTL);
    CHECK(parse_op("-11") == op::closeSession);
    CHECK_FALSE(parse_op("bogus"));
}

TEST_CASE("a multi nested in a multi is not decoded (ZooKeeper rejects it, no unbounded recursion)") {
    const std::string inner = unhex("00000001 0000000e 00000004 00000000");  // multi{ multi{} }
    std::string p = unhex("0000000000000001 00000005 0000000000000009 0000000000000000 0000000e 00000001 0000000e");
    p += unhex("00000010") + inner;
    const Txn t = decode_txn(as_bytes(p));
    const auto& m = std::get<MultiTxn>(t.body);
    REQUIRE(m.ops);
    REQUIRE(m.ops->size() == 1);
    CHECK((*m.ops)[0].decode_error == "a multi cannot contain a multi");
    CHECK(encode_txn(t) == p);  // kept as raw bytes
}

namespace {

// check_txn must say what decode_txn says about a payload.
void expect_agreement(ByteSpan payload) {
    std::optional<Txn> full;
    std::optional<TxnCheck> quick;
    try {
        full = decode_txn(payload, {1 << 16});
    } catch (const FormatError&) {
    }
    try {
        quick = check_txn(payload, {1 << 16});
    } catch (const FormatError&) {
    }
    REQUIRE(full.has_value() == quick.has_value());
    if (!full) return;
    CHECK(quick->header == full->header);
    CHECK(quick->digest == full->digest);
    CHECK(quick->trailing == full->trailing.size());
    CHECK(quick->unknown_type == std::holds_alternative<RawTxn>(full->body));
    int bad = -1;
    if (const auto* m = std::get_if<MultiTxn>(&full->body); m && m->ops) {
        for (std::size_t i = 0; i < m->ops->size() && bad < 0; ++i) {
            const auto& op = (*m->ops)[i];
            if (!op.decode_error.empty() || std::holds_alternative<RawTxn>(op.body)) bad = static_cast<int>(i);
        }
    }
    CHECK(quick->bad_op == bad);
}

}  // namespace

TEST_CASE("check_txn agrees with decode_txn on every fixture record and on thousands of damaged ones") {
    std::uint32_t seed = 12345;
    auto rnd = [&] { return seed = seed * 1664525u + 1013904223u; };
    std::size_t checked = 0;
    for (const auto& path : test::fixture_logs()) {
        const std::string bytes = test::slurp(path);
        TxnLogReader r(as_bytes(bytes));
        TxnLogRecord rec;
        while (r.next(rec)) {
            CAPTURE(path);
            CAPTURE(rec.offset);
            expect_agreement(rec.payload);
            std::string p(as_chars(rec.payload));
            for (int k = 0; k < 8; ++k) {
                std::string m = p;
                const std::size_t at = rnd() % m.size();
                m[at] = static_cast<char>(rnd());
                if (k % 4 == 3) m.resize(rnd() % m.size());
                expect_agreement(as_bytes(m));
                ++checked;
            }
        }
    }
    CHECK(checked > 3000);
}
