// verify findings as JSON Lines: {"record":"finding",...} then one "summary".
#include "tools/common/format_util.h"
#include "tools/verify/finding_printer.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

std::string opt_number(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "null"; }

class JsonFindingPrinter final : public FindingPrinter {
public:
    explicit JsonFindingPrinter(std::ostream& out) : m_out(out) {}

    void finding(const zab::Finding& f) override {
        m_out << fmt::format(
            "{{\"record\":\"finding\",\"severity\":\"{}\",\"code\":{},\"file\":{},\"offset\":{},\"record_index\":{},"
            "\"zxid\":{},{}\"message\":{},\"action\":{}}}\n",
            zab::severity_name(f.severity), json_string(f.code), json_string(f.file.string()), opt_number(f.offset),
            opt_number(f.record), f.zxid ? json_string(hex_id(*f.zxid)) : "null",
            f.index || f.term ? fmt::format("\"index\":{},\"term\":{},", opt_number(f.index), opt_number(f.term)) : "",
            json_string(f.message), json_string(f.action));
    }

    void summary(const zab::VerifyReport& r) override {
        const auto& s = r.stats;
        m_out << fmt::format(
            "{{\"record\":\"summary\",\"errors\":{},\"warnings\":{},\"notes\":{},\"logs\":{},\"records\":{},"
            "\"payload_bytes\":{},\"snapshots\":{},\"first_zxid\":{},\"last_zxid\":{},\"chosen_snapshot\":{},"
            "\"digests_compared\":{}{}}}\n",
            r.count(zab::Severity::Error), r.count(zab::Severity::Warning), r.count(zab::Severity::Info), s.logs,
            s.records, s.payload_bytes, s.snapshots, s.first_zxid ? json_string(hex_id(*s.first_zxid)) : "null",
            s.last_zxid ? json_string(hex_id(*s.last_zxid)) : "null",
            s.chosen_snapshot ? json_string(s.chosen_snapshot->string()) : "null", s.digests_compared, etcd(s));
    }

private:
    static std::string etcd(const VerifyStats& s) {
        if (s.wal_segments == 0 && s.snap_files == 0) return "";
        return fmt::format(",\"etcd_members\":{},\"wal_segments\":{},\"wal_records\":{},\"wal_bytes\":{},\"entries\":{},\"first_index\":{},"
                           "\"last_index\":{},\"commit\":{},\"snap_files\":{},\"etcd_snap\":{}",
                           s.etcd_members, s.wal_segments, s.wal_records, s.wal_bytes, s.entries, one(s, s.first_index),
                           one(s, s.last_index), one(s, s.commit), s.snap_files,
                           s.etcd_snap && s.etcd_members <= 1 ? json_string(s.etcd_snap->string()) : "null");
    }
    // Per-member values are given only when one member was checked.
    static std::string one(const VerifyStats& s, const std::optional<std::uint64_t>& v) {
        return s.etcd_members <= 1 ? opt_number(v) : "null";
    }

    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<FindingPrinter> make_json_finding_printer(std::ostream& out) {
    return std::make_unique<JsonFindingPrinter>(out);
}

}  // namespace zabra::tools
