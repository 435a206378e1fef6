// `zabra stats` as tables for people.
#include "tools/common/format_util.h"
#include "tools/stats/stats_printer.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::tools {

namespace {

class TextStatsPrinter final : public StatsPrinter {
public:
    explicit TextStatsPrinter(std::ostream& out) : m_out(out) {}

    void logs(const std::string& what, const zab::LogStats& s, std::size_t top) override {
        m_out << fmt::format("== txn logs: {}\n", escape_text(what));
        if (s.total.count == 0) {
            m_out << "no txns\n\n";
            return;
        }
        const double span = static_cast<double>(*s.last_time - *s.first_time) / 1000.0;
        m_out << fmt::format("{} txns, {} bytes of payload, zxid {}..{}\n", s.total.count, s.total.bytes,
                             hex_id(*s.first_zxid), hex_id(*s.last_zxid));
        m_out << fmt::format("time {} .. {} ({:.1f} s)\n", iso_time(*s.first_time, true),
                             iso_time(*s.last_time, true), span);
        std::uint64_t peak = 0;
        std::int64_t peak_at = 0;
        for (const auto& [sec, n] : s.per_second) {
            if (n > peak) {
                peak = n;
                peak_at = sec;
            }
        }
        m_out << fmt::format("rate: {:.1f} txn/s on average, peak {} txn/s at {}\n",
                             static_cast<double>(s.total.count) / std::max(span, 1.0), peak,
                             iso_time(peak_at * 1000, true));
        auto type_name = [](std::int32_t t) { return std::string(zab::op_label(t)); };
        table("by type", s.by_type, top, type_name, s.total.count, "txns");
        if (!s.ops_by_type.empty()) table("multi ops by type", s.ops_by_type, top, type_name, 0, "ops");
        table("by epoch", s.by_epoch, top, [](std::int64_t e) { return std::to_string(e); }, s.total.count, "txns");
        table("by session", s.by_session, top, [](std::int64_t id) { return hex_id(id); }, s.total.count, "txns");
        table(fmt::format("by path (depth {}; multi ops count under their own paths)", s.depth), s.by_prefix, top,
              [](const std::string& p) { return escape_text(p); }, 0, "ops");
        timeline(s);
        m_out << '\n';
    }

    void etcd_wal(const std::string& what, const etcd::WalStats& s, std::size_t top) override {
        m_out << fmt::format("== etcd WAL: {}\n", escape_text(what));
        std::string records;
        for (const auto& [k, n] : s.records) records += fmt::format("{}{} {}", records.empty() ? "" : ", ", n, k);
        m_out << fmt::format("{} segment{}, {} bytes of records: {}\n", s.segments, s.segments == 1 ? "" : "s",
                             s.wal_bytes, records.empty() ? "none" : records);
        if (s.entries.count) {
            m_out << fmt::format("{} entries, {} bytes of entry data, index {}..{}\n", s.entries.count, s.entries.bytes,
                                 *s.first_index, *s.last_index);
        }
        if (s.hard_state) {
            m_out << fmt::format("last HardState: term {}, vote {:x}, commit {}\n", s.hard_state->term, s.hard_state->vote,
                                 s.hard_state->commit);
        }
        table("entries by request", s.by_op, top, [](const std::string& k) { return escape_text(k); }, s.entries.count, "entries");
        table("entries by term", s.by_term, top, [](std::uint64_t t) { return std::to_string(t); }, s.entries.count, "entries");
        table("v3 requests by user", s.by_user, top,
              [](const std::string& u) { return u.empty() ? std::string("(no auth)") : escape_text(u); }, 0, "entries");
        table(fmt::format("keys by prefix (depth {}; txn branches count each key)", s.depth), s.by_prefix, top,
              [](const std::string& k) { return escape_text(k); }, 0, "keys");
        m_out << '\n';
    }

    void snapshot(const std::string& file, const zab::SnapshotStats& s, std::size_t top) override {
        m_out << fmt::format("== snapshot: {}\n", escape_text(file));
        m_out << fmt::format("{} znodes, {} bytes of data, {} ephemeral, {} container, {} TTL; {} sessions, {} ACLs\n",
                             s.nodes, s.data_bytes, s.ephemerals, s.containers, s.ttls, s.sessions, s.acls);
        m_out << fmt::format("subtrees down to depth {} (largest {} by nodes):\n", s.depth, top);
        m_out << fmt::format("  {:<40} {:>10} {:>12} {:>10}\n", "path", "nodes", "data bytes", "ephemeral");
        for (auto it : top_entries(s.subtrees, top, [](const zab::SubtreeTally& t) { return t.nodes; })) {
            m_out << fmt::format("  {} {:>10} {:>12} {:>10}\n", pad_to_width(escape_text(it->first), 40), it->second.nodes,
                                 it->second.data_bytes, it->second.ephemerals);
        }
        m_out << '\n';
    }

private:
    template <class Map, class Name>
    void table(const std::string& title, const Map& m, std::size_t top, Name name, std::uint64_t total,
               const char* unit) {
        m_out << fmt::format("{}{}:\n", title, m.size() > top ? fmt::format(" (top {} of {})", top, m.size()) : "");
        for (auto it : top_entries(m, top, [](const zab::Tally& t) { return t.count; })) {
            std::string line = fmt::format("  {} {:>10} {:<4} {:>12} bytes", pad_to_width(name(it->first), 40), it->second.count,
                                           unit, it->second.bytes);
            if (total) {
                line += fmt::format(" {:>5.1f}%", 100.0 * static_cast<double>(it->second.count) /
                                                      static_cast<double>(total));
            }
            m_out << line << '\n';
        }
    }

    void timeline(const zab::LogStats& s) {
        const std::int64_t first = s.per_second.begin()->first, last = s.per_second.rbegin()->first;
        const std::int64_t width = std::max<std::int64_t>(1, (last - first + 20) / 20);
        std::map<std::int64_t, std::uint64_t> buckets;
        for (const auto& [sec, n] : s.per_second) buckets[(sec - first) / width] += n;
        std::uint64_t most = 0;
        for (const auto& [b, n] : buckets) most = std::max(most, n);
        m_out << fmt::format("txn/s over time ({} s buckets):\n", width);
        for (const auto& [b, n] : buckets) {
            const auto bar = static_cast<std::size_t>(40 * n / std::max<std::uint64_t>(most, 1));
            m_out << fmt::format("  {}  {:>8.1f}  {}\n", iso_time((first + b * width) * 1000, true),
                                 static_cast<double>(n) / static_cast<double>(width), std::string(bar, '#'));
        }
    }

    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<StatsPrinter> make_text_stats_printer(std::ostream& out) {
    return std::make_unique<TextStatsPrinter>(out);
}

}  // namespace zabra::tools
