#include "libformat/etcd/wal_stats.h"

#include "libformat/etcd/wal_log.h"

namespace zabra::etcd {

std::string key_prefix(std::string_view key, int depth) {
    std::size_t at = key.starts_with('/') ? 1 : 0;
    for (int d = 0; d < depth; ++d) {
        const std::size_t slash = key.find('/', at);
        if (slash == std::string_view::npos) return std::string(key);
        at = slash + 1;
    }
    return std::string(key.substr(0, at));
}

namespace {

void add_keys(WalStats& st, const RequestSummary& s, std::uint64_t bytes) {
    for (const auto& f : s.fields) {
        if (f.kind == SummaryField::Kind::Ops && f.name != "compares") {
            for (const auto& op : f.ops) add_keys(st, op, 0);
        } else if (f.name == "key" && f.kind == SummaryField::Kind::Bytes &&
                   (s.op == "put" || s.op == "delete_range" || s.op == "range")) {
            st.by_prefix[key_prefix(f.bytes, st.depth)].add(bytes);
        }
    }
}

}  // namespace

void WalStats::add_entry(const Entry& e, const RequestSummary& s) {
    entries.add(e.data.size());
    if (!first_index) first_index = e.index;
    last_index = e.index;
    by_term[e.term].add(e.data.size());
    by_op[s.op].add(e.data.size());
    std::string user;
    for (const auto& f : s.fields) {
        if (f.name == "user" && f.kind == SummaryField::Kind::Bytes) user = f.bytes;
    }
    if (s.kind == PayloadKind::InternalRaftRequest) by_user[user].add(e.data.size());
    add_keys(*this, s, e.data.size());
    if (s.kind == PayloadKind::Unknown) damaged = true;
}

WalStats wal_stats(const std::vector<SegmentFile>& segments, int depth) {
    WalStats st;
    st.depth = depth;
    st.segments = segments.size();
    WalLogReader reader(segments);
    WalLogRecord rec;
    while (reader.next(rec)) {
        const WalFrame& f = rec.frame;
        ++st.records[record_type_name(f.type)];
        st.wal_bytes += f.size;
        try {
            if (f.type == 2) {
                const Entry e = decode_entry(f.data, f.data_offset);
                st.add_entry(e, summarize_entry(e.type, e.data));
            } else if (f.type == 3) {
                st.hard_state = decode_hard_state(f.data, f.data_offset);
            }
        } catch (const FormatError&) {
            st.damaged = true;
        }
    }
    for (const auto& se : reader.ends()) {
        if (se.open_error || se.end.kind == WalEndKind::Damaged) st.damaged = true;
    }
    return st;
}

}  // namespace zabra::etcd
