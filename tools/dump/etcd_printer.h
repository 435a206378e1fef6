// Presentation of etcd WAL records and .snap files. The etcd dump driver
// decodes; each output format is one EtcdPrinter in its own file.
#pragma once

#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/request.h"
#include "libformat/etcd/wal_reader.h"
#include "tools/dump/printer.h"

#include <memory>
#include <ostream>
#include <string>

namespace zabra::tools {

class EtcdPrinter {
public:
    virtual ~EtcdPrinter() = default;

    virtual void begin_segment(const std::string& file, const etcd::SegmentName& name) = 0;
    virtual void metadata(const std::string& file, const etcd::WalFrame& f, const etcd::WalMetadata& m) = 0;
    virtual void entry(const std::string& file, const etcd::WalFrame& f, const etcd::Entry& e,
                       const etcd::RequestSummary& s) = 0;
    virtual void hard_state(const std::string& file, const etcd::WalFrame& f, const etcd::HardState& h) = 0;
    virtual void crc(const std::string& file, const etcd::WalFrame& f) = 0;
    virtual void snapshot_record(const std::string& file, const etcd::WalFrame& f, const etcd::WalSnapshot& s) = 0;
    // A frame whose crc is fine but whose payload does not decode, or of an unknown type.
    virtual void undecodable(const std::string& file, const etcd::WalFrame& f, const std::string& why) = 0;
    virtual void end_segment(const std::string& file, const etcd::WalEnd& end) = 0;
    virtual void segment_error(const std::string& file, const std::string& why) = 0;  // could not be read at all

    virtual void snap_file(const std::string& file, const etcd::SnapFile& s) = 0;
    virtual void snap_file_error(const std::string& file, const std::string& why) = 0;
};

std::unique_ptr<EtcdPrinter> make_etcd_text_printer(std::ostream& out, const PrintOptions& options);
std::unique_ptr<EtcdPrinter> make_etcd_json_printer(std::ostream& out, const PrintOptions& options);

}  // namespace zabra::tools
