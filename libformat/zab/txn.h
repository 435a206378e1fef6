// Typed ZooKeeper transactions, as stored in a txn-log record payload:
//
//   payload    := TxnHeader body [TxnDigest]
//   TxnHeader  := long clientId, int cxid, long zxid, long time, int type   (32 bytes)
//   TxnDigest  := int version (2), long treeDigest                          (3.6+, 12 bytes)
//
// Bodies by type (zookeeper.jute, org.apache.zookeeper.txn):
//   -10 createSession    CreateSessionTxn{int timeOut}
//   -11 closeSession     empty (3.5, closeSessionTxn disabled) | CloseSessionTxn{vector<ustring> paths2Delete}
//    -1 error            ErrorTxn{int err}
//     1 create, 15 create2   CreateTxn{ustring path, buffer data, vector<ACL> acl, boolean ephemeral,
//                                      int parentCVersion}   (CreateTxnV0 lacks parentCVersion)
//    19 createContainer  CreateContainerTxn{path, data, acl, int parentCVersion}
//    21 createTTL        CreateTTLTxn{path, data, acl, int parentCVersion, long ttl}
//     2 delete, 20 deleteContainer   DeleteTxn{ustring path}
//     5 setData, 16 reconfig         SetDataTxn{ustring path, buffer data, int version}
//     7 setACL           SetACLTxn{ustring path, vector<ACL> acl, int version}
//    13 check            CheckVersionTxn{ustring path, int version}
//    14 multi            MultiTxn{vector<Txn{int type, buffer data}>}, data = a sub-body above
//   ACL := int perms, ustring scheme, ustring id
#pragma once

#include "libformat/zab/jute.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zabra::zab {

namespace op {
constexpr std::int32_t notification = 0;
constexpr std::int32_t create = 1;
constexpr std::int32_t delete_ = 2;
constexpr std::int32_t setData = 5;
constexpr std::int32_t setACL = 7;
constexpr std::int32_t check = 13;
constexpr std::int32_t multi = 14;
constexpr std::int32_t create2 = 15;
constexpr std::int32_t reconfig = 16;
constexpr std::int32_t createContainer = 19;
constexpr std::int32_t deleteContainer = 20;
constexpr std::int32_t createTTL = 21;
constexpr std::int32_t createSession = -10;
constexpr std::int32_t closeSession = -11;
constexpr std::int32_t error = -1;
}  // namespace op

// ZooKeeper's own name for an opcode (Request.op2String), e.g. "createTtl".
// Unknown values give "unknown <n>".
std::string op_name(std::int32_t type);

// zabra's name: as op_name, but "createTTL" as in ZooDefs.OpCode.
std::string_view op_label(std::int32_t type);

// Parses a name or a number into an opcode (accepts both spellings).
std::optional<std::int32_t> parse_op(std::string_view name);

struct Acl {
    std::int32_t perms = 0;
    std::string scheme;
    std::string id;
    bool operator==(const Acl&) const = default;
};
using AclList = std::optional<std::vector<Acl>>;  // nullopt = null vector

// vector<ACL> as jute writes it, from any JuteReader (txn payloads, snapshots).
template <class Reader>
AclList read_acl_list(Reader& r) {
    auto n = r.count("ACL vector");
    if (!n) return std::nullopt;
    std::vector<Acl> acls;
    for (std::int32_t i = 0; i < *n; ++i) {
        Acl a;
        a.perms = r.i32();
        a.scheme = r.string("ACL scheme");
        a.id = r.string("ACL id");
        acls.push_back(std::move(a));
    }
    return acls;
}

inline void write_acl_list(JuteWriter& w, const AclList& acls) {
    if (!acls) return w.i32(-1);
    w.i32(static_cast<std::int32_t>(acls->size()));
    for (const auto& a : *acls) {
        w.i32(a.perms);
        w.string(a.scheme);
        w.string(a.id);
    }
}

struct TxnHeader {
    std::int64_t client_id = 0;
    std::int32_t cxid = 0;
    std::int64_t zxid = 0;
    std::int64_t time = 0;
    std::int32_t type = 0;
    bool operator==(const TxnHeader&) const = default;
};
constexpr std::size_t kTxnHeaderSize = 32;

struct TxnDigest {
    std::int32_t version = 2;
    std::int64_t tree_digest = 0;
    bool operator==(const TxnDigest&) const = default;
};
constexpr std::size_t kTxnDigestSize = 12;

struct CreateSessionTxn {
    std::int32_t timeout = 0;
    bool operator==(const CreateSessionTxn&) const = default;
};
struct CloseSessionTxn {
    // nullopt: the body is absent (3.5, or closeSessionTxn.enabled=false).
    std::optional<std::optional<std::vector<std::string>>> paths_to_delete;
    bool operator==(const CloseSessionTxn&) const = default;
};
struct ErrorTxn {
    std::int32_t err = 0;
    bool operator==(const ErrorTxn&) const = default;
};
struct CreateTxn {  // create, create2
    std::string path;
    Buffer data;
    AclList acl;
    bool ephemeral = false;
    std::int32_t parent_cversion = -1;
    bool v0 = false;  // CreateTxnV0: no parentCVersion on disk
    bool operator==(const CreateTxn&) const = default;
};
struct CreateContainerTxn {
    std::string path;
    Buffer data;
    AclList acl;
    std::int32_t parent_cversion = 0;
    bool operator==(const CreateContainerTxn&) const = default;
};
struct CreateTtlTxn {
    std::string path;
    Buffer data;
    AclList acl;
    std::int32_t parent_cversion = 0;
    std::int64_t ttl = 0;
    bool operator==(const CreateTtlTxn&) const = default;
};
struct DeleteTxn {  // delete, deleteContainer
    std::string path;
    bool operator==(const DeleteTxn&) const = default;
};
struct SetDataTxn {  // setData, reconfig
    std::string path;
    Buffer data;
    std::int32_t version = 0;
    bool operator==(const SetDataTxn&) const = default;
};
struct SetAclTxn {
    std::string path;
    AclList acl;
    std::int32_t version = 0;
    bool operator==(const SetAclTxn&) const = default;
};
struct CheckVersionTxn {
    std::string path;
    std::int32_t version = 0;
    bool operator==(const CheckVersionTxn&) const = default;
};
// A body zabra cannot decode (unknown type): kept as bytes.
struct RawTxn {
    std::string bytes;
    bool operator==(const RawTxn&) const = default;
};

struct SubTxn;
struct MultiTxn {
    std::optional<std::vector<SubTxn>> ops;  // nullopt = null vector
    bool operator==(const MultiTxn&) const;
};

using TxnBody = std::variant<CreateSessionTxn, CloseSessionTxn, ErrorTxn, CreateTxn, CreateContainerTxn, CreateTtlTxn,
                             DeleteTxn, SetDataTxn, SetAclTxn, CheckVersionTxn, MultiTxn, RawTxn>;

struct SubTxn {
    std::int32_t type = 0;
    Buffer raw;    // the sub-body exactly as stored
    TxnBody body;  // decoded from raw; RawTxn when it could not be
    std::string decode_error;  // why raw could not be decoded, if it could not
    bool operator==(const SubTxn& o) const { return type == o.type && raw == o.raw; }
};

inline bool MultiTxn::operator==(const MultiTxn& o) const { return ops == o.ops; }

struct Txn {
    TxnHeader header;
    TxnBody body;
    std::optional<TxnDigest> digest;
    // Bytes after the body that are neither absent nor a 12-byte digest;
    // ZooKeeper ignores them, we report them.
    std::string trailing;
};

// The path a txn acts on, if it has one (a multi has none of its own).
const std::string* txn_path(const TxnBody& body);

}  // namespace zabra::zab
