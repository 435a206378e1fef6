// The part a snapshot file and the SNAP stream of a learner's sync have in
// common (doc/zookeeper-snapshot.md; doc/zab-quorum-port.md):
//
//   body     := sessions acls nodes
//   sessions := int32 count, (int64 id ‖ int32 timeout)*
//   acls     := int32 count, (int64 ref ‖ vector<ACL>)*
//   nodes    := (ustring path ‖ buffer data ‖ int64 acl ‖ StatPersisted)* ‖ ustring "/"
//
// Read through any jute source (a file's decompressed stream, a cursor over
// received bytes); each session, ACL and node goes to the visitor.
#pragma once

#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txn.h"

#include <fmt/format.h>

namespace zabra::zab {

template <class Source>
void read_snapshot_body(JuteReader<Source>& r, Source& s, SnapshotVisitor& visitor, SnapshotReadResult& result,
                        std::uint32_t max_buffer) {
    const std::uint64_t sessions_at = s.position();
    const std::int32_t sessions = r.i32();
    if (sessions < 0) throw FormatError(fmt::format("negative session count {}", sessions), sessions_at);
    for (std::int32_t i = 0; i < sessions; ++i) {
        SnapshotSession ss;
        ss.id = r.i64();
        ss.timeout = r.i32();
        visitor.on_session(ss);
        ++result.sessions;
    }

    const std::uint64_t acl_at = s.position();
    const std::int32_t acl_count = r.i32();
    if (acl_count < 0) throw FormatError(fmt::format("negative ACL map size {}", acl_count), acl_at);
    for (std::int32_t i = 0; i < acl_count; ++i) {
        SnapshotAcl a;
        a.id = r.i64();
        const std::uint64_t at = s.position();
        a.acls = read_acl_list(r);
        if (!a.acls) throw FormatError(fmt::format("null ACL list for id {}", a.id), at);
        visitor.on_acl(a);
        ++result.acls;
    }

    if (!visitor.wants_nodes()) {
        for (;;) {
            const std::uint64_t at = s.position();
            const std::int32_t len = r.i32();
            if (len < 0 || static_cast<std::uint32_t>(len) > max_buffer) {
                throw FormatError(fmt::format("node path at offset {} has unreasonable length {} (limit {})", at, len,
                                              max_buffer),
                                  at);
            }
            const ByteSpan path = s.take(static_cast<std::size_t>(len));
            if (len == 1 && path[0] == '/') break;
            r.skip_buffer("node data");
            s.take(8 + kStatPersistedSize);  // acl id, StatPersisted
            ++result.nodes;
        }
    }
    for (bool more = visitor.wants_nodes(); more;) {
        SnapshotNode node;
        node.offset = s.position();
        node.path = r.string("node path");
        if (node.path == "/") {
            more = false;
            break;
        }
        node.data = r.buffer("node data");
        node.acl = r.i64();
        StatPersisted& st = node.stat;
        st.czxid = r.i64();
        st.mzxid = r.i64();
        st.ctime = r.i64();
        st.mtime = r.i64();
        st.version = r.i32();
        st.cversion = r.i32();
        st.aversion = r.i32();
        st.ephemeral_owner = r.i64();
        st.pzxid = r.i64();
        visitor.on_node(node);
        ++result.nodes;
    }
}

}  // namespace zabra::zab
