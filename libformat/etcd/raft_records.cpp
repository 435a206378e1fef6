#include "libformat/etcd/raft_records.h"

#include "libformat/common/crc32c.h"
#include "libformat/etcd/proto.h"

namespace zabra::etcd {

namespace {

std::uint64_t base_of(const ProtoField& f, ByteSpan message, std::uint64_t base) {
    return base + static_cast<std::uint64_t>(f.bytes.data() - message.data());
}

void append_ids(std::vector<std::uint64_t>& out, const ProtoField& f) {
    if (f.type == WireType::Varint) {
        out.push_back(f.value);
        return;
    }
    // Packed (not what gogo writes, but valid protobuf).
    ByteCursor c(want_bytes(f), f.offset);
    while (!c.at_end()) out.push_back(c.varint());
}

}  // namespace

const char* entry_type_name(std::uint32_t type) {
    switch (type) {
    case 0: return "normal";
    case 1: return "conf_change";
    case 2: return "conf_change_v2";
    default: return "unknown";
    }
}

WalMetadata decode_metadata(ByteSpan data, std::uint64_t base) {
    WalMetadata m;
    ProtoReader r(data, base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) m.node_id = want_varint(f);
        if (f.number == 2) m.cluster_id = want_varint(f);
    }
    return m;
}

Entry decode_entry(ByteSpan data, std::uint64_t base) {
    Entry e;
    ProtoReader r(data, base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: {
            const std::uint64_t t = want_varint(f);
            if (t > 0xffffffff) throw FormatError(fmt::format("entry type {} at offset {}", t, f.offset), f.offset);
            e.type = static_cast<std::uint32_t>(t);
            break;
        }
        case 2: e.term = want_varint(f); break;
        case 3: e.index = want_varint(f); break;
        case 4: e.data = want_bytes(f); break;
        default: break;
        }
    }
    return e;
}

HardState decode_hard_state(ByteSpan data, std::uint64_t base) {
    HardState h;
    ProtoReader r(data, base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) h.term = want_varint(f);
        if (f.number == 2) h.vote = want_varint(f);
        if (f.number == 3) h.commit = want_varint(f);
    }
    return h;
}

ConfState decode_conf_state(ByteSpan data, std::uint64_t base) {
    ConfState cs;
    ProtoReader r(data, base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: append_ids(cs.voters, f); break;
        case 2: append_ids(cs.learners, f); break;
        case 3: append_ids(cs.voters_outgoing, f); break;
        case 4: append_ids(cs.learners_next, f); break;
        case 5: cs.auto_leave = want_varint(f) != 0; break;
        default: break;
        }
    }
    return cs;
}

WalSnapshot decode_wal_snapshot(ByteSpan data, std::uint64_t base) {
    WalSnapshot s;
    ProtoReader r(data, base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) s.index = want_varint(f);
        if (f.number == 2) s.term = want_varint(f);
        if (f.number == 3) s.conf_state = decode_conf_state(want_bytes(f), base_of(f, data, base));
    }
    return s;
}

std::string encode_metadata(const WalMetadata& m) {
    std::string out;
    append_varint_field(out, 1, m.node_id);
    append_varint_field(out, 2, m.cluster_id);
    return out;
}

std::string encode_entry(const Entry& e) {
    std::string out;
    append_varint_field(out, 1, e.type);
    append_varint_field(out, 2, e.term);
    append_varint_field(out, 3, e.index);
    if (!e.data.empty()) append_bytes_field(out, 4, as_chars(e.data));
    return out;
}

std::string encode_hard_state(const HardState& h) {
    std::string out;
    append_varint_field(out, 1, h.term);
    append_varint_field(out, 2, h.vote);
    append_varint_field(out, 3, h.commit);
    return out;
}

namespace {
std::string encode_conf_state(const ConfState& cs) {
    std::string out;
    for (auto id : cs.voters) append_varint_field(out, 1, id);
    for (auto id : cs.learners) append_varint_field(out, 2, id);
    for (auto id : cs.voters_outgoing) append_varint_field(out, 3, id);
    for (auto id : cs.learners_next) append_varint_field(out, 4, id);
    append_varint_field(out, 5, cs.auto_leave ? 1 : 0);
    return out;
}
}  // namespace

std::string encode_wal_snapshot(const WalSnapshot& s) {
    std::string out;
    append_varint_field(out, 1, s.index);
    append_varint_field(out, 2, s.term);
    if (s.conf_state) append_bytes_field(out, 3, encode_conf_state(*s.conf_state));
    return out;
}

SnapFile decode_snap_file(ByteSpan file) {
    if (file.empty()) throw FormatError("empty snapshot (0 bytes)", 0);
    SnapFile s;
    bool have_crc = false;
    ByteSpan inner;
    std::uint64_t inner_base = 0;
    ProtoReader r(file, 0);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) {
            const std::uint64_t c = want_varint(f);
            if (c > 0xffffffff) throw FormatError(fmt::format("crc {} at offset {} is wider than 32 bits", c, f.offset), f.offset);
            s.crc = static_cast<std::uint32_t>(c);
            have_crc = true;
        }
        if (f.number == 2) {
            inner = want_bytes(f);
            inner_base = base_of(f, file, 0);
        }
    }
    if (inner.empty() || !have_crc || s.crc == 0) throw FormatError("empty snapshot (no data or a zero crc)", 0);
    s.computed_crc = crc32c(inner);
    ProtoReader ir(inner, inner_base);
    while (ir.next(f)) {
        if (f.number == 1) s.data = want_bytes(f);
        if (f.number == 2) {
            const ByteSpan meta = want_bytes(f);
            const std::uint64_t meta_base = base_of(f, file, 0);
            ProtoReader mr(meta, meta_base);
            ProtoField g;
            while (mr.next(g)) {
                if (g.number == 1) s.conf_state = decode_conf_state(want_bytes(g), base_of(g, file, 0));
                if (g.number == 2) s.index = want_varint(g);
                if (g.number == 3) s.term = want_varint(g);
            }
        }
    }
    return s;
}

std::string encode_snap_file(const std::string& data, std::uint64_t index, std::uint64_t term, const ConfState& cs) {
    std::string meta;
    append_bytes_field(meta, 1, encode_conf_state(cs));
    append_varint_field(meta, 2, index);
    append_varint_field(meta, 3, term);
    std::string inner;
    append_bytes_field(inner, 1, data);
    append_bytes_field(inner, 2, meta);
    std::string out;
    append_varint_field(out, 1, crc32c(as_bytes(inner)));
    append_bytes_field(out, 2, inner);
    return out;
}

}  // namespace zabra::etcd
