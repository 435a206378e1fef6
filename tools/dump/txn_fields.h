// Walks the fields of a txn body in declaration order, so every printer shows
// the same fields under the same names without its own switch over types.
#pragma once

#include "libformat/zab/txn.h"

#include <string_view>

namespace zabra::tools {

class FieldSink {
public:
    virtual ~FieldSink() = default;
    virtual void text(std::string_view name, std::string_view value) = 0;  // a path or name
    virtual void data(std::string_view name, const zab::Buffer& value) = 0;
    virtual void number(std::string_view name, std::int64_t value) = 0;
    virtual void hex(std::string_view name, std::int64_t value) = 0;
    virtual void boolean(std::string_view name, bool value) = 0;
    virtual void acls(std::string_view name, const zab::AclList& value) = 0;
    virtual void strings(std::string_view name, const std::optional<std::vector<std::string>>& value) = 0;
    // A multi: begin, then per op: begin_op, fields, end_op.
    virtual void begin_ops(std::string_view name) = 0;
    virtual void begin_op(const zab::SubTxn& op) = 0;
    virtual void end_op() = 0;
    virtual void end_ops() = 0;
};

void walk_fields(const zab::TxnBody& body, FieldSink& sink);

}  // namespace zabra::tools
