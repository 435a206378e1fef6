// ZooKeeper's client protocol (zookeeper.jute), as ZooKeeper 3.8 speaks it.
//
//   frame        = len:int32 payload[len]                  (both directions)
//   connect req  = protocolVersion:int lastZxidSeen:long timeOut:int sessionId:long passwd:buffer [readOnly:bool]
//   connect resp = protocolVersion:int timeOut:int sessionId:long passwd:buffer [readOnly:bool]
//   request      = xid:int type:int body                   (RequestHeader)
//   reply        = xid:int zxid:long err:int body          (ReplyHeader; no body when err != 0, but multi)
//   notification = reply with xid -1, zxid -1, err 0, then type:int state:int path:ustring (WatcherEvent)
//   multi        = (MultiHeader type:int done:bool err:int, op)* MultiHeader(-1, true, -1)
//
// A request's first four bytes may instead be a four-letter word ("ruok").
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/zab/snapshot.h"
#include "libformat/zab/txn.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace zabra::node {

// ZooDefs.OpCode values used on the wire (txn types are in zab::op).
namespace opcode {
constexpr std::int32_t notification = 0;
constexpr std::int32_t create = 1;
constexpr std::int32_t delete_ = 2;
constexpr std::int32_t exists = 3;
constexpr std::int32_t getData = 4;
constexpr std::int32_t setData = 5;
constexpr std::int32_t getACL = 6;
constexpr std::int32_t setACL = 7;
constexpr std::int32_t getChildren = 8;
constexpr std::int32_t sync = 9;
constexpr std::int32_t ping = 11;
constexpr std::int32_t getChildren2 = 12;
constexpr std::int32_t check = 13;
constexpr std::int32_t multi = 14;
constexpr std::int32_t create2 = 15;
constexpr std::int32_t reconfig = 16;
constexpr std::int32_t checkWatches = 17;
constexpr std::int32_t removeWatches = 18;
constexpr std::int32_t createContainer = 19;
constexpr std::int32_t deleteContainer = 20;
constexpr std::int32_t createTTL = 21;
constexpr std::int32_t multiRead = 22;
constexpr std::int32_t auth = 100;
constexpr std::int32_t setWatches = 101;
constexpr std::int32_t sasl = 102;
constexpr std::int32_t getEphemerals = 103;
constexpr std::int32_t getAllChildrenNumber = 104;
constexpr std::int32_t setWatches2 = 105;
constexpr std::int32_t addWatch = 106;
constexpr std::int32_t whoAmI = 107;
constexpr std::int32_t createSession = -10;
constexpr std::int32_t closeSession = -11;
constexpr std::int32_t error = -1;
}  // namespace opcode

// KeeperException.Code values.
namespace code {
constexpr std::int32_t ok = 0;
constexpr std::int32_t system_error = -1;
constexpr std::int32_t runtime_inconsistency = -2;
constexpr std::int32_t data_inconsistency = -3;
constexpr std::int32_t connection_loss = -4;
constexpr std::int32_t marshalling_error = -5;
constexpr std::int32_t unimplemented = -6;
constexpr std::int32_t operation_timeout = -7;
constexpr std::int32_t bad_arguments = -8;
constexpr std::int32_t api_error = -100;
constexpr std::int32_t no_node = -101;
constexpr std::int32_t no_auth = -102;
constexpr std::int32_t bad_version = -103;
constexpr std::int32_t no_children_for_ephemerals = -108;
constexpr std::int32_t node_exists = -110;
constexpr std::int32_t not_empty = -111;
constexpr std::int32_t session_expired = -112;
constexpr std::int32_t invalid_callback = -113;
constexpr std::int32_t invalid_acl = -114;
constexpr std::int32_t auth_failed = -115;
constexpr std::int32_t session_moved = -118;
constexpr std::int32_t not_read_only = -119;
constexpr std::int32_t ephemeral_on_local_session = -120;
constexpr std::int32_t no_watcher = -121;
constexpr std::int32_t reconfig_disabled = -123;
constexpr std::int32_t session_closed_require_sasl = -124;
constexpr std::int32_t quota_exceeded = -125;
constexpr std::int32_t throttled = -127;
}  // namespace code

// Special xids.
namespace xid {
constexpr std::int32_t notification = -1;
constexpr std::int32_t ping = -2;
constexpr std::int32_t auth = -4;
constexpr std::int32_t set_watches = -8;
}  // namespace xid

// Perms bits (ZooDefs.Perms).
namespace perm {
constexpr std::int32_t read = 1;
constexpr std::int32_t write = 2;
constexpr std::int32_t create = 4;
constexpr std::int32_t del = 8;
constexpr std::int32_t admin = 16;
constexpr std::int32_t all = 31;
}  // namespace perm

// The Stat a client sees: the persisted stat plus two derived fields.
// An authenticated identity (jute Id: scheme, id): a session's, and a
// forwarded request's authinfo on the quorum port.
struct AuthId {
    std::string scheme;
    std::string id;
    bool operator==(const AuthId&) const = default;
};

struct Stat {
    zab::StatPersisted persisted;
    std::int32_t data_length = 0;
    std::int32_t num_children = 0;
    bool operator==(const Stat&) const = default;
};

struct ConnectRequest {
    std::int32_t protocol_version = 0;
    std::int64_t last_zxid_seen = 0;
    std::int32_t timeout_ms = 0;
    std::int64_t session_id = 0;
    std::string password;
    std::optional<bool> read_only;  // absent from old clients
};

struct ConnectResponse {
    std::int32_t protocol_version = 0;
    std::int32_t timeout_ms = 0;
    std::int64_t session_id = 0;
    std::string password;
    std::optional<bool> read_only;  // written when the client sent one
};

struct CreateRequest {  // create, create2, createContainer, createTTL
    std::string path;
    zab::Buffer data;
    zab::AclList acl;
    std::int32_t flags = 0;
    std::int64_t ttl = -1;  // createTTL only
};
struct DeleteRequest {
    std::string path;
    std::int32_t version = -1;
};
struct PathWatchRequest {  // exists, getData, getChildren, getChildren2
    std::string path;
    bool watch = false;
};
struct SetDataRequest {
    std::string path;
    zab::Buffer data;
    std::int32_t version = -1;
};
struct PathRequest {  // getACL, sync, getEphemerals, getAllChildrenNumber
    std::string path;
};
struct SetAclRequest {
    std::string path;
    zab::AclList acl;
    std::int32_t version = -1;
};
struct CheckVersionRequest {
    std::string path;
    std::int32_t version = -1;
};
struct AuthPacket {
    std::int32_t type = 0;
    std::string scheme;
    zab::Buffer auth;
};
struct SetWatches {  // setWatches / setWatches2 (its persistent lists are read and dropped)
    std::int64_t relative_zxid = 0;
    std::vector<std::string> data, exist, child;
};
struct EmptyRequest {};  // ping, closeSession, whoAmI

struct MultiOp;
using MultiOps = std::vector<MultiOp>;

using RequestBody = std::variant<EmptyRequest, CreateRequest, DeleteRequest, PathWatchRequest, SetDataRequest,
                                 PathRequest, SetAclRequest, CheckVersionRequest, AuthPacket, SetWatches, MultiOps>;

struct MultiOp {
    std::int32_t type = 0;
    RequestBody body;
};

struct Request {
    std::int32_t xid = 0;
    std::int32_t type = 0;
    RequestBody body;
};

// Decoders take one frame's payload; they throw FormatError on anything
// malformed (the connection is then closed, as ZooKeeper does).
ConnectRequest decode_connect_request(ByteSpan payload, std::uint32_t max_buffer);
Request decode_request(ByteSpan payload, std::uint32_t max_buffer);

// One result of a multi, as OpResult: `type` is the op's type, or
// opcode::error with `err`.
struct MultiResult {
    std::int32_t type = 0;
    std::int32_t err = 0;
    std::string path;           // create*
    std::optional<Stat> stat;   // create2/TTL/container, setData
    // multiRead results
    std::optional<std::string> data;
    std::vector<std::string> children;
};

using ResponseBody =
    std::variant<std::monostate, std::string /* path: create, sync */, Stat /* exists, setData, setACL */,
                 std::pair<std::string, Stat> /* create2 */, std::pair<zab::Buffer, Stat> /* getData */,
                 std::vector<std::string> /* getChildren, getEphemerals */,
                 std::pair<std::vector<std::string>, Stat> /* getChildren2 */,
                 std::pair<std::vector<zab::Acl>, Stat> /* getACL */, std::vector<MultiResult>,
                 std::int32_t /* getAllChildrenNumber */>;

struct Reply {
    std::int32_t xid = 0;
    std::int64_t zxid = 0;
    std::int32_t err = 0;
    ResponseBody body;
};

// Encoders return a whole frame, length prefix included.
std::string encode_connect_response(const ConnectResponse& r);
std::string encode_reply(const Reply& r);
std::string encode_notification(std::int32_t event_type, std::int32_t state, const std::string& path);

void write_stat(zab::JuteWriter& w, const Stat& s);

}  // namespace zabra::node
