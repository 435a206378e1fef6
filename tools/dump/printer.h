// Presentation of decoded ZooKeeper data. The dump driver walks files and
// calls one Printer; each output format is one Printer implementation in its
// own file, so adding a format touches nothing else.
#pragma once

#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txn.h"
#include "libformat/zab/txnlog_reader.h"

#include <memory>
#include <optional>
#include <ostream>
#include <string>

namespace zabra::tools {

enum class DataStyle { Text, Hex, None, Full };

struct PrintOptions {
    bool utc = true;
    DataStyle data = DataStyle::Text;
    std::size_t data_cap = 64;  // bytes shown per data field unless DataStyle::Full
};

class Printer {
public:
    virtual ~Printer() = default;

    virtual void begin_log(const std::string& file, const zab::TxnLogReader& reader) = 0;
    virtual void txn(const std::string& file, const zab::TxnLogRecord& record, const zab::Txn& txn) = 0;
    // A record whose framing is fine but whose payload does not decode.
    virtual void undecodable(const std::string& file, const zab::TxnLogRecord& record, const std::string& why) = 0;
    virtual void end_log(const std::string& file, const zab::LogEnd& end) = 0;

    // A format that prints the node count before the nodes says so, and then
    // gets the count (from a quick first pass) in begin_snapshot.
    virtual bool needs_node_count() const { return false; }
    virtual void begin_snapshot(const std::string& file, std::optional<std::uint64_t> node_count = std::nullopt) = 0;
    virtual void session(const zab::SnapshotSession& s) = 0;
    virtual void acl(const zab::SnapshotAcl& a) = 0;
    virtual void node(const std::string& file, const zab::SnapshotNode& n) = 0;
    // Whether node() prints from nothing but its arguments: then chunks of
    // nodes may be formatted by other printers on other cores.
    virtual bool formats_nodes_alone() const { return true; }
    virtual void end_snapshot(const std::string& file, const zab::SnapshotReadResult& result) = 0;
};

std::unique_ptr<Printer> make_text_printer(std::ostream& out, const PrintOptions& options);
std::unique_ptr<Printer> make_json_printer(std::ostream& out, const PrintOptions& options);
// Byte-compatible with ZooKeeper 3.8's TxnLogToolkit -d and SnapshotFormatter -d.
std::unique_ptr<Printer> make_zk_printer(std::ostream& out, const PrintOptions& options);

}  // namespace zabra::tools
