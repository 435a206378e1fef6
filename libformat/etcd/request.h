// What an etcd raft entry's data means: the leader's no-op, an
// etcdserverpb.InternalRaftRequest (v3 API), a v2 Request, or a raftpb
// ConfChange / ConfChangeV2 (doc/etcd-wal.md §3). Decoded into a neutral
// summary (an operation name and typed fields) that printers render as text
// or JSON; secrets are redacted here, unless asked, so no printer can leak them.
#pragma once

#include "libformat/common/bytes.h"

#include <cstdint>
#include <string>
#include <vector>

namespace zabra::etcd {

enum class PayloadKind { Noop, InternalRaftRequest, V2Request, ConfChange, ConfChangeV2, Unknown };
const char* payload_kind_name(PayloadKind k);  // "noop", "irr", "v2", "conf_change", "conf_change_v2", "unknown"

struct RequestSummary;

struct SummaryField {
    enum class Kind {
        Bytes,     // raw bytes from the log (a key, a value, a path): printers escape them
        Unsigned,  // decimal
        Signed,    // decimal
        Id,        // a member, lease or request id: lower-case hex, no leading zeros
        Bool,
        Name,      // an enum's name, e.g. "READWRITE", "AddLearnerNode"
        Ops,       // nested requests (txn success/failure branches)
        Redacted,  // a password, hash or token left out; `bytes` holds only its length as text
    };
    std::string name;
    Kind kind = Kind::Bytes;
    std::string bytes;  // Bytes, Name, Redacted
    std::uint64_t u = 0;  // Unsigned, Id, Bool
    std::int64_t i = 0;   // Signed
    std::vector<RequestSummary> ops;  // Ops
};

struct RequestSummary {
    PayloadKind kind = PayloadKind::Unknown;
    // "noop", "put", "delete_range", "range", "txn", "compaction", "lease_grant",
    // "lease_revoke", "lease_checkpoint", "alarm", "authenticate", "auth_enable",
    // "auth_user_add", ..., "cluster_version_set", "v2 PUT", "v2 SYNC", ...,
    // "conf_change", "conf_change_v2"; "unknown" when nothing parses.
    std::string op;
    std::vector<SummaryField> fields;  // in a stable, documented order
    std::string error;                 // Unknown only: why neither parse succeeded
};

struct SummaryOptions {
    bool show_secrets = false;  // passwords, password hashes, auth tokens
};

// entry_type: raftpb.EntryType (0 normal, 1 conf change, 2 conf change v2).
// Never throws: what does not decode is an Unknown summary with its error.
RequestSummary summarize_entry(std::uint32_t entry_type, ByteSpan data, const SummaryOptions& options = {});

// etcd-dump-logs' -entry-type names that match this summary: "Normal" or
// "ConfigChange", and for normal entries "Request" (v2) or
// "InternalRaftRequest" plus "IRRRange", "IRRPut", "IRRDeleteRange", "IRRTxn",
// "IRRCompaction", "IRRLeaseGrant", "IRRLeaseRevoke", "IRRLeaseCheckpoint".
std::vector<std::string> entry_type_names(const RequestSummary& s, std::uint32_t entry_type);

}  // namespace zabra::etcd
