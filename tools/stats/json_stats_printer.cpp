// `zabra stats --json`: one JSON object per log set or snapshot, one per line.
#include "tools/common/format_util.h"
#include "tools/stats/stats_printer.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

template <class Map, class Key>
std::string tallies(const Map& m, Key key) {
    std::string out = "[";
    bool first = true;
    for (auto it : top_entries(m, m.size(), [](const zab::Tally& t) { return t.count; })) {
        out += fmt::format("{}{{\"key\":{},\"count\":{},\"bytes\":{}}}", first ? "" : ",", key(it->first),
                           it->second.count, it->second.bytes);
        first = false;
    }
    return out + "]";
}

class JsonStatsPrinter final : public StatsPrinter {
public:
    explicit JsonStatsPrinter(std::ostream& out) : m_out(out) {}

    void logs(const std::string& what, const zab::LogStats& s, std::size_t top) override {
        auto type_key = [](std::int32_t t) { return json_string(zab::op_label(t)); };
        auto hex_key = [](std::int64_t v) { return json_string(hex_id(v)); };
        auto opt_hex = [](const std::optional<std::int64_t>& v) { return v ? json_string(hex_id(*v)) : "null"; };
        std::string per_second = "[";
        for (const auto& [sec, n] : s.per_second) {
            per_second += fmt::format("{}[{},{}]", per_second.size() > 1 ? "," : "", sec, n);
        }
        per_second += "]";
        (void)top;  // JSON carries every entry; scripts pick
        m_out << fmt::format(
            "{{\"record\":\"logs\",\"source\":{},\"txns\":{},\"payload_bytes\":{},\"first_zxid\":{},\"last_zxid\":{},"
            "\"first_time\":{},\"last_time\":{},\"depth\":{},\"by_type\":{},\"multi_ops_by_type\":{},\"by_epoch\":{},"
            "\"by_session\":{},\"by_path\":{},\"per_second\":{}}}\n",
            json_string(what), s.total.count, s.total.bytes, opt_hex(s.first_zxid), opt_hex(s.last_zxid),
            s.first_time ? std::to_string(*s.first_time) : "null", s.last_time ? std::to_string(*s.last_time) : "null",
            s.depth, tallies(s.by_type, type_key), tallies(s.ops_by_type, type_key),
            tallies(s.by_epoch, [](std::int64_t e) { return std::to_string(e); }), tallies(s.by_session, hex_key),
            tallies(s.by_prefix, [](const std::string& p) { return json_string(p); }), per_second);
    }

    void snapshot(const std::string& file, const zab::SnapshotStats& s, std::size_t) override {
        std::string subtrees = "[";
        for (auto it : top_entries(s.subtrees, s.subtrees.size(), [](const zab::SubtreeTally& t) { return t.nodes; })) {
            subtrees += fmt::format("{}{{\"path\":{},\"nodes\":{},\"data_bytes\":{},\"ephemerals\":{}}}",
                                    subtrees.size() > 1 ? "," : "", json_string(it->first), it->second.nodes,
                                    it->second.data_bytes, it->second.ephemerals);
        }
        subtrees += "]";
        m_out << fmt::format(
            "{{\"record\":\"snapshot\",\"file\":{},\"nodes\":{},\"data_bytes\":{},\"ephemerals\":{},\"containers\":{},"
            "\"ttls\":{},\"sessions\":{},\"acls\":{},\"depth\":{},\"subtrees\":{}}}\n",
            json_string(file), s.nodes, s.data_bytes, s.ephemerals, s.containers, s.ttls, s.sessions, s.acls, s.depth,
            subtrees);
    }

    void etcd_wal(const std::string& what, const etcd::WalStats& s, std::size_t) override {
        auto opt = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : std::string("null"); };
        std::string records = "{";
        for (const auto& [k, n] : s.records) records += fmt::format("{}\"{}\":{}", records.size() > 1 ? "," : "", k, n);
        records += "}";
        auto str_key = [](const std::string& k) { return json_string(k); };
        m_out << fmt::format(
            "{{\"record\":\"etcd_wal\",\"source\":{},\"segments\":{},\"wal_bytes\":{},\"records\":{},\"entries\":{},"
            "\"entry_bytes\":{},\"first_index\":{},\"last_index\":{},\"term\":{},\"vote\":{},\"commit\":{},\"depth\":{},"
            "\"by_op\":{},\"by_term\":{},\"by_user\":{},\"by_prefix\":{}}}\n",
            json_string(what), s.segments, s.wal_bytes, records, s.entries.count, s.entries.bytes, opt(s.first_index),
            opt(s.last_index), s.hard_state ? std::to_string(s.hard_state->term) : "null",
            s.hard_state ? json_string(fmt::format("{:x}", s.hard_state->vote)) : "null",
            s.hard_state ? std::to_string(s.hard_state->commit) : "null", s.depth, tallies(s.by_op, str_key),
            tallies(s.by_term, [](std::uint64_t t) { return std::to_string(t); }), tallies(s.by_user, str_key),
            tallies(s.by_prefix, str_key));
    }

private:
    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<StatsPrinter> make_json_stats_printer(std::ostream& out) {
    return std::make_unique<JsonStatsPrinter>(out);
}

}  // namespace zabra::tools
