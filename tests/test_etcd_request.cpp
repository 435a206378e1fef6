// Raft entry payload summaries, checked against entry bytes copied from the WALs
// of a real etcd 3.4.23 cluster (members 2e1259d415f2a040 and bac7efc361f1457e,
// not the cluster of tests/fixtures/etcd), and against payloads built
// with proto.h's writer for the requests the real log does not hold.
#include "helpers.h"
#include "libformat/etcd/proto.h"
#include "libformat/etcd/request.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <random>

using namespace zabra;
using namespace zabra::etcd;
using zabra::test::unhex;

namespace {

// One line per summary, so a CHECK pins the op, the kind, and every field's
// name, kind, value and position: Bytes "..." (non-printables as \xNN),
// Unsigned u7, Signed i-7, Id 0x.., Bool true/false, Name bare,
// Redacted <redacted N>, Ops [op ...; op ...].
std::string describe(const RequestSummary& s);

std::string describe_field(const SummaryField& f) {
    std::string v;
    switch (f.kind) {
    case SummaryField::Kind::Bytes:
        v = "\"";
        for (char c : f.bytes) {
            const auto b = static_cast<unsigned char>(c);
            if (b >= 0x20 && b < 0x7f && c != '"' && c != '\\') {
                v.push_back(c);
            } else {
                v += fmt::format("\\x{:02x}", b);
            }
        }
        v += "\"";
        break;
    case SummaryField::Kind::Unsigned: v = fmt::format("u{}", f.u); break;
    case SummaryField::Kind::Signed: v = fmt::format("i{}", f.i); break;
    case SummaryField::Kind::Id: v = fmt::format("0x{:x}", f.u); break;
    case SummaryField::Kind::Bool: v = f.u ? "true" : "false"; break;
    case SummaryField::Kind::Name: v = f.bytes; break;
    case SummaryField::Kind::Redacted: v = "<redacted " + f.bytes + ">"; break;
    case SummaryField::Kind::Ops:
        v = "[";
        for (std::size_t i = 0; i < f.ops.size(); ++i) {
            if (i) v += "; ";
            v += describe(f.ops[i]);
        }
        v += "]";
        break;
    }
    return f.name + "=" + v;
}

std::string describe(const RequestSummary& s) {
    std::string out = s.op;
    for (const SummaryField& f : s.fields) {
        out += ' ';
        out += describe_field(f);
    }
    return out;
}

RequestSummary normal(std::string_view data, const SummaryOptions& options = {}) {
    return summarize_entry(0, as_bytes(data), options);
}

std::string field(std::uint32_t number, std::string_view bytes) {
    std::string out;
    append_bytes_field(out, number, bytes);
    return out;
}
std::string varint_field(std::uint32_t number, std::uint64_t v) {
    std::string out;
    append_varint_field(out, number, v);
    return out;
}

// RequestHeader as etcd 3.4 writes it after the request (field 100).
std::string header(std::uint64_t id, std::string_view user = {}) {
    std::string h = varint_field(1, id);
    if (!user.empty()) h += field(2, user);
    return field(100, h);
}

// Request ids of the 3.4.23 member bac7efc361f1457e: its low 16 bits on
// top, so the header's ID takes a 9-byte varint, as in that member's real entries.
constexpr std::uint64_t kRequestId = 0x457ea2168d44ca05;

// Does any string anywhere in the summary contain `needle`?
bool mentions(const RequestSummary& s, std::string_view needle) {
    if (s.op.find(needle) != std::string::npos || s.error.find(needle) != std::string::npos) return true;
    for (const SummaryField& f : s.fields) {
        if (f.name.find(needle) != std::string::npos || f.bytes.find(needle) != std::string::npos) return true;
        for (const RequestSummary& op : f.ops) {
            if (mentions(op, needle)) return true;
        }
    }
    return false;
}

// A txn whose success branch holds a txn, `depth` txns in all.
std::string nested_txn(int depth) {
    std::string txn = field(2, field(2, field(1, "k")));  // success=[put k]
    for (int i = 1; i < depth; ++i) txn = field(2, field(4, txn));  // success=[txn{...}]
    return field(6, txn);
}

}  // namespace

TEST_CASE("etcd request: an empty normal entry is the leader's noop") {
    const RequestSummary s = normal("");
    CHECK(s.kind == PayloadKind::Noop);
    CHECK(s.op == "noop");
    CHECK(s.fields.empty());
    CHECK(s.error.empty());
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal"});
}

TEST_CASE("etcd request: put foo=bar (real 3.4 bytes) gives key, value, then the header's request id") {
    const std::string data = unhex("22 0a 0a 03 666f6f 12 03 626172") + header(kRequestId);
    REQUIRE(data.size() == 0x19);  // the Data length the real Entry declares
    const RequestSummary s = normal(data);
    CHECK(s.kind == PayloadKind::InternalRaftRequest);
    CHECK(s.error.empty());
    CHECK(describe(s) == "put key=\"foo\" value=\"bar\" req=0x457ea2168d44ca05");
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRPut"});
}

TEST_CASE("etcd request: put shows lease, flags and the header's user, in a fixed order whatever the wire order") {
    // Header first, then put's fields backwards: the summary's order is ours.
    std::string put = varint_field(6, 1) + varint_field(5, 1) + varint_field(4, 1) +
                      varint_field(3, 0x457ea2168d44ca0a) + field(2, "") + field(1, "k\n");
    const RequestSummary s = normal(header(7, "alice") + field(4, put));
    CHECK(describe(s) ==
          "put key=\"k\\x0a\" value=\"\" lease=0x457ea2168d44ca0a prev_kv=true ignore_value=true ignore_lease=true "
          "req=0x7 user=\"alice\"");
}

TEST_CASE("etcd request: delete_range (real 3.4 bytes) shows range_end only when the request has one") {
    const std::string one = unhex("2a 06 0a 04 666f6f32") + header(kRequestId);
    REQUIRE(one.size() == 0x15);
    CHECK(describe(normal(one)) == "delete_range key=\"foo2\" req=0x457ea2168d44ca05");

    const std::string prefix = unhex("2a 08 0a 02 666f 12 02 6670") + header(kRequestId);
    REQUIRE(prefix.size() == 0x17);
    const RequestSummary s = normal(prefix);
    CHECK(describe(s) == "delete_range key=\"fo\" range_end=\"fp\" req=0x457ea2168d44ca05");
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRDeleteRange"});

    CHECK(describe(normal(field(5, field(1, "a") + field(2, std::string(1, '\0')) + varint_field(3, 1)))) ==
          "delete_range key=\"a\" range_end=\"\\x00\" prev_kv=true");
}

TEST_CASE("etcd request: txn (real 3.4 bytes) lists compares, success and failure as nested summaries") {
    const std::string data = unhex(
        "32 2a 0a 0c 10 03 1a 03 666f6f 3a 03 626172"
        "      12 0c 12 0a 0a 03 666f6f 12 03 62617a"
        "      1a 0c 12 0a 0a 03 666f6f 12 03 717578") + header(kRequestId);
    REQUIRE(data.size() == 0x39);
    const RequestSummary s = normal(data);
    CHECK(s.kind == PayloadKind::InternalRaftRequest);
    CHECK(describe(s) ==
          "txn compares=[compare result=EQUAL target=VALUE key=\"foo\" value=\"bar\"] "
          "success=[put key=\"foo\" value=\"baz\"] failure=[put key=\"foo\" value=\"qux\"] req=0x457ea2168d44ca05");
    REQUIRE(s.fields.size() == 4);
    CHECK(s.fields[0].kind == SummaryField::Kind::Ops);
    CHECK(s.fields[1].ops.at(0).kind == PayloadKind::InternalRaftRequest);
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRTxn"});
}

TEST_CASE("etcd request: txn compares show the target's own value field and range_end, ops may be any request") {
    const std::string compares =
        field(1, varint_field(1, 1) + varint_field(2, 0) + field(3, "a") + varint_field(4, 0)) +  // version, set at 0
        field(1, varint_field(1, 2) + varint_field(2, 1) + field(3, "b") + varint_field(5, 5)) +
        field(1, varint_field(1, 3) + varint_field(2, 2) + field(3, "c") + varint_field(6, 7) + field(64, "d")) +
        field(1, varint_field(2, 4) + field(3, "e") + varint_field(8, 0x1234)) +
        field(1, varint_field(1, 9) + varint_field(2, 9) + field(3, "f"));  // unknown enums, no target value
    const std::string ops = field(2, field(1, field(1, "r") + varint_field(3, 10))) +
                            field(2, field(3, field(1, "x"))) +
                            field(2, field(4, field(2, field(2, field(1, "y"))))) + field(2, "") +
                            field(3, field(2, field(1, "z")));
    const RequestSummary s = normal(field(6, compares + ops));
    CHECK(describe(s) ==
          "txn compares=[compare result=GREATER target=VERSION key=\"a\" version=i0; "
          "compare result=LESS target=CREATE key=\"b\" create_revision=i5; "
          "compare result=NOT_EQUAL target=MOD key=\"c\" mod_revision=i7 range_end=\"d\"; "
          "compare result=EQUAL target=LEASE key=\"e\" lease=0x1234; "
          "compare result=9 target=9 key=\"f\"] "
          "success=[range key=\"r\" limit=i10; delete_range key=\"x\"; "
          "txn compares=[] success=[put key=\"y\" value=\"\"] failure=[]; empty] "
          "failure=[put key=\"z\" value=\"\"]");
}

TEST_CASE("etcd request: txn nesting is accepted to 16 levels, deeper (100) is Unknown, not a crash") {
    CHECK(normal(nested_txn(16)).kind == PayloadKind::InternalRaftRequest);
    const RequestSummary s17 = normal(nested_txn(17));
    CHECK(s17.kind == PayloadKind::Unknown);
    const RequestSummary s = normal(nested_txn(100));
    CHECK(s.kind == PayloadKind::Unknown);
    CHECK(s.op == "unknown");
    CHECK(s.fields.empty());
    CHECK(s.error.find("nested more than 16 deep") != std::string::npos);
}

TEST_CASE("etcd request: lease grant, lease revoke and compaction (real 3.4 bytes)") {
    const std::string grant = unhex("42 0c 08 3c 10 8a9493eae8c2a8bf45") + header(kRequestId);
    REQUIRE(grant.size() == 0x1b);
    const RequestSummary g = normal(grant);
    CHECK(describe(g) == "lease_grant id=0x457ea2168d44ca0a ttl=i60 req=0x457ea2168d44ca05");
    CHECK(entry_type_names(g, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRLeaseGrant"});

    const std::string revoke = unhex("4a 0a 08 8a9493eae8c2a8bf45") + header(kRequestId);
    REQUIRE(revoke.size() == 0x19);
    const RequestSummary r = normal(revoke);
    CHECK(describe(r) == "lease_revoke id=0x457ea2168d44ca0a req=0x457ea2168d44ca05");
    CHECK(entry_type_names(r, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRLeaseRevoke"});

    const std::string compact = unhex("3a 02 08 09") + header(kRequestId);
    REQUIRE(compact.size() == 0x11);
    const RequestSummary c = normal(compact);
    CHECK(describe(c) == "compaction revision=i9 req=0x457ea2168d44ca05");
    CHECK(entry_type_names(c, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRCompaction"});
    CHECK(describe(normal(field(7, varint_field(1, 12) + varint_field(2, 1)))) == "compaction revision=i12 physical=true");
}

TEST_CASE("etcd request: range, lease checkpoint and alarm show their fields") {
    const std::string range = field(1, "a") + field(2, "b") + varint_field(3, 5) + varint_field(4, 3) +
                              varint_field(5, 2) + varint_field(6, 4) + varint_field(7, 1) + varint_field(8, 1) +
                              varint_field(9, 1) + varint_field(10, 1) + varint_field(11, 2) + varint_field(12, 3) +
                              varint_field(13, 4);
    const RequestSummary r = normal(field(3, range));
    CHECK(describe(r) ==
          "range key=\"a\" range_end=\"b\" limit=i5 revision=i3 sort_order=DESCEND sort_target=VALUE serializable=true "
          "keys_only=true count_only=true min_mod_revision=i1 max_mod_revision=i2 min_create_revision=i3 "
          "max_create_revision=i4");
    CHECK(entry_type_names(r, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRRange"});
    CHECK(describe(normal(field(3, varint_field(4, ~std::uint64_t{0})))) == "range key=\"\" revision=i-1");

    const std::string checkpoints = field(1, varint_field(1, 0xabc) + varint_field(2, 30)) + field(1, varint_field(1, 0xdef));
    const RequestSummary cp = normal(field(11, checkpoints) + header(1));
    CHECK(describe(cp) == "lease_checkpoint checkpoints=[checkpoint id=0xabc remaining_ttl=i30; "
                          "checkpoint id=0xdef remaining_ttl=i0] req=0x1");
    CHECK(entry_type_names(cp, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRLeaseCheckpoint"});

    CHECK(describe(normal(field(10, varint_field(1, 1) + varint_field(2, 0xbac7efc361f1457e) + varint_field(3, 1)))) ==
          "alarm action=ACTIVATE member=0xbac7efc361f1457e alarm=NOSPACE");
    CHECK(describe(normal(field(10, ""))) == "alarm action=GET member=0x0 alarm=NONE");
}

TEST_CASE("etcd request: user add (real 3.4 bytes) redacts the plain-text password unless secrets are shown") {
    const std::string data = header(kRequestId) + unhex("e2 44 10 0a 04 726f6f74 12 06 726f6f747077 1a 00");
    REQUIRE(data.size() == 0x20);
    const RequestSummary s = normal(data);
    CHECK(s.kind == PayloadKind::InternalRaftRequest);
    CHECK(describe(s) == "auth_user_add name=\"root\" password=<redacted 6> req=0x457ea2168d44ca05");
    CHECK_FALSE(mentions(s, "rootpw"));
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest"});

    const RequestSummary shown = normal(data, SummaryOptions{.show_secrets = true});
    CHECK(describe(shown) == "auth_user_add name=\"root\" password=\"rootpw\" req=0x457ea2168d44ca05");
    CHECK(shown.fields.at(1).kind == SummaryField::Kind::Bytes);
}

TEST_CASE("etcd request: user add of 3.5 redacts the password hash and shows no_password") {
    const std::string hash = "$2a$10$abcdefghijklmnopqrstuv";
    const std::string add = field(1, "bob") + field(3, varint_field(1, 1)) + field(4, hash);
    const RequestSummary s = normal(field(1100, add));
    CHECK(describe(s) == fmt::format("auth_user_add name=\"bob\" no_password=true hashed_password=<redacted {}>", hash.size()));
    CHECK_FALSE(mentions(s, "$2a$"));
    CHECK(describe(normal(field(1100, add), {.show_secrets = true})) ==
          fmt::format("auth_user_add name=\"bob\" no_password=true hashed_password=\"{}\"", hash));
}

TEST_CASE("etcd request: change password redacts both the 3.4 password and the 3.5 hash") {
    const std::string change = field(1, "root") + field(2, "newpw1") + field(3, "$2a$hash");
    const RequestSummary s = normal(field(1103, change) + header(3, "root"));
    CHECK(describe(s) ==
          "auth_user_change_password name=\"root\" password=<redacted 6> hashed_password=<redacted 8> req=0x3 "
          "user=\"root\"");
    CHECK_FALSE(mentions(s, "newpw1"));
    CHECK_FALSE(mentions(s, "$2a$hash"));
    CHECK(describe(normal(field(1103, change) + header(3, "root"), {.show_secrets = true})) ==
          "auth_user_change_password name=\"root\" password=\"newpw1\" hashed_password=\"$2a$hash\" req=0x3 "
          "user=\"root\"");
}

TEST_CASE("etcd request: authenticate (real 3.4 layout) redacts the simple token, header first on the wire") {
    const std::string token = "KxQbLrVhGwUnOzPe";  // 16 bytes, as in the real entry
    const std::string data = header(kRequestId) + unhex("a2 3f 18 0a 04 726f6f74 1a 10") + token;
    REQUIRE(data.size() == 0x28);
    const RequestSummary s = normal(data);
    CHECK(describe(s) == "authenticate name=\"root\" simple_token=<redacted 16> req=0x457ea2168d44ca05");
    CHECK_FALSE(mentions(s, token));
    CHECK(describe(normal(data, {.show_secrets = true})) ==
          "authenticate name=\"root\" simple_token=\"KxQbLrVhGwUnOzPe\" req=0x457ea2168d44ca05");
    // A password, which etcd never stores here, would be redacted too.
    CHECK(describe(normal(field(1012, field(1, "u") + field(2, "pw")))) == "authenticate name=\"u\" password=<redacted 2>");
}

TEST_CASE("etcd request: a secret in a request that fails to parse appears nowhere, error included") {
    const std::string data = field(1100, field(1, "root") + field(2, "rootpw")) + "\x08";  // truncated varint field
    const RequestSummary s = normal(data);
    CHECK(s.kind == PayloadKind::Unknown);
    CHECK_FALSE(s.error.empty());
    CHECK_FALSE(mentions(s, "rootpw"));
}

TEST_CASE("etcd request: the other auth requests name their user, role and permission") {
    CHECK(describe(normal(field(1000, ""))) == "auth_enable");
    CHECK(describe(normal(field(1011, ""))) == "auth_disable");
    CHECK(describe(normal(field(1013, ""))) == "auth_status");
    CHECK(describe(normal(field(1106, ""))) == "auth_user_list");
    CHECK(describe(normal(field(1107, ""))) == "auth_role_list");
    CHECK(describe(normal(field(1101, field(1, "u")))) == "auth_user_delete name=\"u\"");
    CHECK(describe(normal(field(1102, field(1, "u")))) == "auth_user_get name=\"u\"");
    CHECK(describe(normal(field(1104, field(1, "u") + field(2, "r")))) == "auth_user_grant_role name=\"u\" role=\"r\"");
    CHECK(describe(normal(field(1105, field(1, "u") + field(2, "r")))) == "auth_user_revoke_role name=\"u\" role=\"r\"");
    CHECK(describe(normal(field(1200, field(1, "r")))) == "auth_role_add role=\"r\"");
    CHECK(describe(normal(field(1201, field(1, "r")))) == "auth_role_delete role=\"r\"");
    CHECK(describe(normal(field(1202, field(1, "r")))) == "auth_role_get role=\"r\"");
    CHECK(describe(normal(field(1203, field(1, "r1") + field(2, varint_field(1, 2) + field(2, "/a") + field(3, "/b")))))
          == "auth_role_grant_permission role=\"r1\" perm=READWRITE key=\"/a\" range_end=\"/b\"");
    CHECK(describe(normal(field(1203, field(1, "r1") + field(2, varint_field(1, 1) + field(2, "/a"))))) ==
          "auth_role_grant_permission role=\"r1\" perm=WRITE key=\"/a\"");
    CHECK(describe(normal(field(1204, field(1, "r1") + field(2, "/a") + field(3, "/b")))) ==
          "auth_role_revoke_permission role=\"r1\" key=\"/a\" range_end=\"/b\"");
    CHECK(describe(normal(field(1204, field(1, "r1") + field(2, "/a")))) == "auth_role_revoke_permission role=\"r1\" key=\"/a\"");
}

TEST_CASE("etcd request: membership requests of 3.5+ (cluster version, member attributes, downgrade)") {
    CHECK(describe(normal(field(1300, field(1, "3.5.0")) + header(9))) == "cluster_version_set ver=\"3.5.0\" req=0x9");
    const std::string attributes = field(1, "e1") + field(2, "http://127.0.0.1:2379") + field(2, "http://10.0.0.1:2379");
    CHECK(describe(normal(field(1301, varint_field(1, 0x2e1259d415f2a040) + field(2, attributes)))) ==
          "cluster_member_attr_set member=0x2e1259d415f2a040 name=\"e1\" client_url=\"http://127.0.0.1:2379\" "
          "client_url=\"http://10.0.0.1:2379\"");
    CHECK(describe(normal(field(1302, varint_field(1, 1) + field(2, "3.4.0")))) == "downgrade_info_set enabled=true ver=\"3.4.0\"");
    CHECK(describe(normal(field(1302, ""))) == "downgrade_info_set enabled=false ver=\"\"");
    CHECK(describe(normal(field(9900, field(1, "3.5.0")))) == "downgrade_version_test ver=\"3.5.0\"");
}

TEST_CASE("etcd request: the old top-level ID, the auth revision and unknown fields") {
    // etcd-dump-logs' fixture style: ID:6 put:<...>; unknown field 50 skipped.
    std::string h = varint_field(1, 0x10) + field(2, "root") + varint_field(3, 4);
    const RequestSummary s = normal(varint_field(1, 6) + field(4, field(1, "foo1") + field(2, "bar1") + field(99, "?")) +
                                    field(50, "ignored") + field(100, h));
    CHECK(describe(s) == "put key=\"foo1\" value=\"bar1\" req=0x10 user=\"root\" auth_revision=u4 irr_id=0x6");
}

TEST_CASE("etcd request: an entry holding two request fields keeps the first as op and lists the rest") {
    const RequestSummary s = normal(field(4, field(1, "a")) + field(3, field(1, "b")) + field(4, field(1, "c")));
    CHECK(describe(s) == "put key=\"a\" value=\"\" extra_requests=[range key=\"b\"; put key=\"c\" value=\"\"]");
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest", "IRRPut", "IRRRange"});
}

TEST_CASE("etcd request: a v2 PUT from a real 3.4 WAL (gogo's zero fields) is a v2 Request, not an IRR") {
    // Entry index 3 of that member's first segment: the ID takes 10 bytes (member 2e1259d415f2a040's
    // low 16 bits on top), so Data is 134 bytes and the Entry 143.
    std::string data = "\x08";
    append_varint(data, 0xa04076f5e1c2b301);
    data += unhex("12 03 505554 1a 26") + "/0/members/2e1259d415f2a040/attributes" + "\x22\x35" +
            R"({"name":"e1","clientURLs":["http://127.0.0.1:23790"]})" +
            unhex("28 00 32 00 38 00 48 00 50 00 58 00 60 00 68 00 70 00 78 00 80 01 00");
    REQUIRE(data.size() == 134);
    const RequestSummary s = normal(data);
    CHECK(s.kind == PayloadKind::V2Request);
    CHECK(s.error.empty());
    CHECK(describe(s) == "v2 PUT path=\"/0/members/2e1259d415f2a040/attributes\" "
                         "val=\"{\\x22name\\x22:\\x22e1\\x22,\\x22clientURLs\\x22:[\\x22http://127.0.0.1:23790\\x22]}\" "
                         "req=0xa04076f5e1c2b301");
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "Request"});
}

TEST_CASE("etcd request: v2 requests show set flags, nullable flags even when false, and odd methods as a field") {
    std::string sync = unhex("08 05 12 04 53594e43 1a 00 28 00 32 00 38 00 48 00 50 00 58 00 60 00 68 00 70 00");
    append_varint_field(sync, 15, 1700000000123456789);
    sync += unhex("80 01 00");
    CHECK(describe(normal(sync)) == "v2 SYNC path=\"\" time=i1700000000123456789 req=0x5");

    const std::string put = field(2, "PUT") + field(3, "/k") + field(4, "v") + varint_field(5, 1) + field(6, "old") +
                            varint_field(7, 4) + varint_field(8, 0) + varint_field(9, 99) + varint_field(10, 1) +
                            varint_field(11, 8) + varint_field(12, 1) + varint_field(13, 1) + varint_field(14, 1) +
                            varint_field(16, 1) + varint_field(17, 1);
    CHECK(describe(normal(put)) ==
          "v2 PUT path=\"/k\" val=\"v\" dir=true prev_value=\"old\" prev_index=u4 prev_exist=false expiration=i99 "
          "wait=true since=u8 recursive=true sorted=true quorum=true stream=true refresh=true");

    const RequestSummary odd = normal(field(2, "put \x1b[31m") + field(3, "/k"));
    CHECK(odd.kind == PayloadKind::V2Request);
    CHECK(describe(odd) == "v2 method=\"put \\x1b[31m\" path=\"/k\"");
    CHECK(describe(normal(field(2, "") + field(3, "/k"))) == "v2 method=\"\" path=\"/k\"");
}

TEST_CASE("etcd request: an IRR wrapping a v2 Request (field 2) is summarised as that v2 request") {
    const RequestSummary s = normal(field(2, field(2, "QGET") + field(3, "/p")) + header(2));
    CHECK(s.kind == PayloadKind::InternalRaftRequest);
    CHECK(describe(s) == "v2 QGET path=\"/p\" req=0x2");
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal", "InternalRaftRequest"});
}

TEST_CASE("etcd request: ConfChange AddNode of a new cluster (real 3.4 bytes) shows type, node, id and context") {
    const std::string context = R"({"id":3319814642761637952,"peerURLs":["http://127.0.0.1:23800"],"name":"e1"})";
    const std::string data = unhex("08 00 10 00 18 c0c0caafc1ba96892e 22 4c") + context;
    REQUIRE(data.size() == 0x5c);
    const RequestSummary s = summarize_entry(1, as_bytes(data));
    CHECK(s.kind == PayloadKind::ConfChange);
    CHECK(s.op == "conf_change");
    REQUIRE(s.fields.size() == 4);
    CHECK(describe_field(s.fields[0]) == "type=AddNode");
    CHECK(describe_field(s.fields[1]) == "node_id=0x2e1259d415f2a040");
    CHECK(describe_field(s.fields[2]) == "id=0x0");
    CHECK(s.fields[3].name == "context");
    CHECK(s.fields[3].kind == SummaryField::Kind::Bytes);
    CHECK(s.fields[3].bytes == context);
    CHECK(entry_type_names(s, 1) == std::vector<std::string>{"ConfigChange"});
}

TEST_CASE("etcd request: member add --learner and member remove (real 3.4 layout)") {
    const std::string context = R"({"id":6439908158195069083,"peerURLs":["http://127.0.0.1:23794"],"isLearner":true})";
    std::string add = "\x08";
    append_varint(add, 0x457ea2168d44ca11);
    add += unhex("10 03 18 9be1edda98cbc9af59 22 51") + context;
    REQUIRE(add.size() == 0x69);
    const RequestSummary a = summarize_entry(1, as_bytes(add));
    CHECK(a.kind == PayloadKind::ConfChange);
    REQUIRE(a.fields.size() == 4);
    CHECK(a.fields[3].name == "context");
    CHECK(a.fields[3].bytes == context);
    CHECK(describe_field(a.fields[0]) + " " + describe_field(a.fields[1]) + " " + describe_field(a.fields[2]) ==
          "type=AddLearnerNode node_id=0x595f26598b5b709b id=0x457ea2168d44ca11");

    std::string remove = "\x08";
    append_varint(remove, 0x457ea2168d44ca12);
    remove += unhex("10 01 18 9be1edda98cbc9af59");
    REQUIRE(remove.size() == 0x16);
    const RequestSummary r = summarize_entry(1, as_bytes(remove));
    CHECK(describe(r) == "conf_change type=RemoveNode node_id=0x595f26598b5b709b id=0x457ea2168d44ca12");
    CHECK(describe(summarize_entry(1, as_bytes(unhex("10 02 18 05")))) == "conf_change type=UpdateNode node_id=0x5 id=0x0");
    CHECK(describe(summarize_entry(1, as_bytes(unhex("10 07")))) == "conf_change type=7 node_id=0x0 id=0x0");
}

TEST_CASE("etcd request: ConfChangeV2 lists its single changes, and an empty one leaves a joint configuration") {
    const std::string data = varint_field(1, 2) + field(2, varint_field(1, 3) + varint_field(2, 0xa)) +
                             field(2, varint_field(1, 1) + varint_field(2, 0xb)) + field(3, "ctx");
    const RequestSummary s = summarize_entry(2, as_bytes(data));
    CHECK(s.kind == PayloadKind::ConfChangeV2);
    CHECK(describe(s) == "conf_change_v2 transition=JointExplicit changes=[conf_change_single type=AddLearnerNode node_id=0xa; "
                         "conf_change_single type=RemoveNode node_id=0xb] context=\"ctx\"");
    CHECK(s.fields.at(1).ops.at(0).kind == PayloadKind::ConfChangeV2);
    const RequestSummary empty = summarize_entry(2, {});
    CHECK(describe(empty) == "conf_change_v2 transition=Auto changes=[]");
    CHECK(entry_type_names(empty, 2) == std::vector<std::string>{"ConfigChange"});
}

TEST_CASE("etcd request: a known field with the wrong wire type is not an IRR, with no v2 Method it is Unknown") {
    // put (4) as a varint: not an IRR, and not a v2 request (Val=4 is a string).
    const RequestSummary s = normal(varint_field(4, 1) + header(1));
    CHECK(s.kind == PayloadKind::Unknown);
    CHECK(s.op == "unknown");
    CHECK(s.fields.empty());
    CHECK(s.error == "not an InternalRaftRequest (field 4 at offset 0 is not length-delimited); "
                     "not a v2 Request (field 4 at offset 0 is not length-delimited)");
    // range (3) as a varint: not an IRR; a v2 Path must be a string too.
    CHECK(normal(varint_field(3, 1)).kind == PayloadKind::Unknown);
    // delete_range (5) as a varint is what every gogo v2 Request has (Dir):
    // without a Method it is still Unknown.
    const RequestSummary dir = normal(varint_field(5, 0));
    CHECK(dir.error == "not an InternalRaftRequest (field 5 at offset 0 is not length-delimited); "
                       "not a v2 Request (no Method field)");
    CHECK(entry_type_names(s, 0) == std::vector<std::string>{"Normal"});

    // A nested message's known field with the wrong wire type fails too.
    CHECK(normal(field(4, varint_field(1, 3))).kind == PayloadKind::Unknown);
    // Only a header: no request field, and not a v2 request either.
    const RequestSummary h = normal(header(1));
    CHECK(h.kind == PayloadKind::Unknown);
    CHECK(h.error.find("no request field") != std::string::npos);
}

TEST_CASE("etcd request: truncated, bit-flipped and group-typed payloads give Unknown with an error") {
    const std::string put = unhex("22 0a 0a 03 666f6f 12 03 626172") + header(kRequestId);
    // Cut inside the put message: its declared length runs past the end.
    const RequestSummary cut = normal(std::string_view(put).substr(0, 6));
    CHECK(cut.kind == PayloadKind::Unknown);
    CHECK(cut.error.find("field 4 at offset 0 declares 10 bytes, only 4 left") != std::string::npos);
    // Cut inside the header's ID varint.
    CHECK(normal(std::string_view(put).substr(0, put.size() - 1)).kind == PayloadKind::Unknown);

    // 0x22 -> 0x20: field 4 becomes a varint.
    std::string flipped = put;
    flipped[0] = 0x20;
    CHECK(normal(flipped).kind == PayloadKind::Unknown);

    // Groups (wire types 3 and 4), at the top and inside a request.
    for (const std::string& group : {unhex("0b 0c"), unhex("22 02 0b 0c"), unhex("24")}) {
        const RequestSummary g = normal(group);
        CHECK(g.kind == PayloadKind::Unknown);
        CHECK_FALSE(g.error.empty());
    }
    // A length claiming far more than exists allocates nothing.
    CHECK(normal(unhex("22 ff ff ff ff ff ff ff ff 7f 00")).kind == PayloadKind::Unknown);
    CHECK(normal(unhex("ff ff ff ff ff ff ff ff ff ff ff")).kind == PayloadKind::Unknown);

    // Broken conf changes and unknown entry types.
    const RequestSummary cc = summarize_entry(1, as_bytes(unhex("08")));
    CHECK(cc.kind == PayloadKind::Unknown);
    CHECK(cc.error.find("not a ConfChange") == 0);
    CHECK(summarize_entry(1, as_bytes(unhex("22 05 ab"))).kind == PayloadKind::Unknown);
    CHECK(summarize_entry(2, as_bytes(unhex("12 02 08"))).kind == PayloadKind::Unknown);
    const RequestSummary t3 = summarize_entry(3, as_bytes(put));
    CHECK(t3.kind == PayloadKind::Unknown);
    CHECK_FALSE(t3.error.empty());
    CHECK(entry_type_names(t3, 3).empty());
}

TEST_CASE("etcd request: every prefix and every single-bit flip of real entries decodes without throwing") {
    const std::string txn = unhex("32 2a 0a 0c 10 03 1a 03 666f6f 3a 03 626172 12 0c 12 0a 0a 03 666f6f 12 03 62617a"
                                  "1a 0c 12 0a 0a 03 666f6f 12 03 717578") + header(kRequestId);
    const std::string user_add = header(kRequestId) + unhex("e2 44 10 0a 04 726f6f74 12 06 726f6f747077 1a 00");
    const std::string conf = unhex("08 00 10 00 18 c0c0caafc1ba96892e 22 04 7b227d7d");
    const auto check_one = [](std::uint32_t type, const std::string& data) {
        RequestSummary s;
        REQUIRE_NOTHROW(s = summarize_entry(type, as_bytes(data)));
        CHECK_FALSE(s.op.empty());
        CHECK((s.kind == PayloadKind::Unknown) == !s.error.empty());
    };
    for (const auto& [type, data] : {std::pair{0u, txn}, std::pair{0u, user_add}, std::pair{1u, conf}}) {
        for (std::size_t n = 0; n <= data.size(); ++n) check_one(type, data.substr(0, n));
        for (std::size_t bit = 0; bit < data.size() * 8; ++bit) {
            std::string flipped = data;
            flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
            check_one(type, flipped);
        }
    }
}

TEST_CASE("etcd request: random bytes never throw, and whatever is Unknown says why") {
    std::mt19937 rng(20260822);
    std::size_t unknown = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string data(rng() % 48, '\0');
        for (char& c : data) c = static_cast<char>(rng());
        const std::uint32_t type = rng() % 4;
        RequestSummary s;
        REQUIRE_NOTHROW(s = summarize_entry(type, as_bytes(data)));
        CHECK((s.kind == PayloadKind::Unknown) == !s.error.empty());
        if (s.kind == PayloadKind::Unknown) {
            CHECK(s.op == "unknown");
            ++unknown;
        }
    }
    CHECK(unknown > 2500);  // most random bytes are nothing etcd wrote
    // 0f is field 1 with wire type 7, which does not exist.
    const RequestSummary s = normal(unhex("0f 13 a7 00 5c"));
    CHECK(s.kind == PayloadKind::Unknown);
    CHECK(s.error == "not an InternalRaftRequest (wire type 7 of field 1 at offset 0); "
                     "not a v2 Request (wire type 7 of field 1 at offset 0)");
}

TEST_CASE("etcd request: payload kinds have the documented short names") {
    CHECK(std::string(payload_kind_name(PayloadKind::Noop)) == "noop");
    CHECK(std::string(payload_kind_name(PayloadKind::InternalRaftRequest)) == "irr");
    CHECK(std::string(payload_kind_name(PayloadKind::V2Request)) == "v2");
    CHECK(std::string(payload_kind_name(PayloadKind::ConfChange)) == "conf_change");
    CHECK(std::string(payload_kind_name(PayloadKind::ConfChangeV2)) == "conf_change_v2");
    CHECK(std::string(payload_kind_name(PayloadKind::Unknown)) == "unknown");
}

TEST_CASE("etcd request: a txn with very many ops keeps the first 1024 of each list and counts the rest") {
    std::string put;
    append_bytes_field(put, 1, "k");
    std::string op;
    append_bytes_field(op, 2, put);  // RequestOp.request_put
    std::string txn;
    for (int i = 0; i < 5000; ++i) append_bytes_field(txn, 2, op);
    std::string irr;
    append_bytes_field(irr, 6, txn);
    const RequestSummary s = summarize_entry(0, as_bytes(irr));
    REQUIRE(s.op == "txn");
    const SummaryField* success = nullptr;
    const SummaryField* omitted = nullptr;
    for (const auto& f : s.fields) {
        if (f.name == "success") success = &f;
        if (f.name == "success_omitted") omitted = &f;
    }
    REQUIRE(success);
    CHECK(success->ops.size() == 1024);
    REQUIRE(omitted);
    CHECK(omitted->u == 5000 - 1024);
}

TEST_CASE("etcd request: a v2 user record (its password hash) is redacted unless asked") {
    std::string v2;
    append_varint_field(v2, 1, 7);
    append_bytes_field(v2, 2, "PUT");
    append_bytes_field(v2, 3, "/2/users/root");
    append_bytes_field(v2, 4, R"({"user":"root","password":"$2a$10$abc"})");
    append_varint_field(v2, 5, 0);  // Dir: a varint, so not an InternalRaftRequest
    const RequestSummary hidden = summarize_entry(0, as_bytes(v2));
    CHECK(hidden.op == "v2 PUT");
    bool redacted = false;
    for (const auto& f : hidden.fields) redacted |= f.name == "val" && f.kind == SummaryField::Kind::Redacted;
    CHECK(redacted);
    const RequestSummary shown = summarize_entry(0, as_bytes(v2), {true});
    bool plain = false;
    for (const auto& f : shown.fields) plain |= f.name == "val" && f.bytes.find("$2a$10$abc") != std::string::npos;
    CHECK(plain);
}
