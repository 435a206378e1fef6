#include "tools/dump/txn_fields.h"

namespace zabra::tools {

void walk_fields(const zab::TxnBody& body, FieldSink& sink) {
    using namespace zab;
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, CreateSessionTxn>) {
                sink.number("timeout", b.timeout);
            } else if constexpr (std::is_same_v<T, CloseSessionTxn>) {
                if (b.paths_to_delete) sink.strings("paths_to_delete", *b.paths_to_delete);
            } else if constexpr (std::is_same_v<T, ErrorTxn>) {
                sink.number("err", b.err);
            } else if constexpr (std::is_same_v<T, CreateTxn>) {
                sink.text("path", b.path);
                sink.data("data", b.data);
                sink.acls("acl", b.acl);
                sink.boolean("ephemeral", b.ephemeral);
                if (!b.v0) sink.number("parent_cversion", b.parent_cversion);
            } else if constexpr (std::is_same_v<T, CreateContainerTxn>) {
                sink.text("path", b.path);
                sink.data("data", b.data);
                sink.acls("acl", b.acl);
                sink.number("parent_cversion", b.parent_cversion);
            } else if constexpr (std::is_same_v<T, CreateTtlTxn>) {
                sink.text("path", b.path);
                sink.data("data", b.data);
                sink.acls("acl", b.acl);
                sink.number("parent_cversion", b.parent_cversion);
                sink.number("ttl", b.ttl);
            } else if constexpr (std::is_same_v<T, DeleteTxn>) {
                sink.text("path", b.path);
            } else if constexpr (std::is_same_v<T, SetDataTxn>) {
                sink.text("path", b.path);
                sink.data("data", b.data);
                sink.number("version", b.version);
            } else if constexpr (std::is_same_v<T, SetAclTxn>) {
                sink.text("path", b.path);
                sink.acls("acl", b.acl);
                sink.number("version", b.version);
            } else if constexpr (std::is_same_v<T, CheckVersionTxn>) {
                sink.text("path", b.path);
                sink.number("version", b.version);
            } else if constexpr (std::is_same_v<T, MultiTxn>) {
                sink.begin_ops("ops");
                if (b.ops) {
                    for (const auto& op : *b.ops) {
                        sink.begin_op(op);
                        if (op.decode_error.empty()) walk_fields(op.body, sink);
                        sink.end_op();
                    }
                }
                sink.end_ops();
            } else {
                sink.data("raw", b.bytes);
            }
        },
        body);
}

}  // namespace zabra::tools
