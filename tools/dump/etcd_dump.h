// zabra dump for etcd member dirs, WAL segments and .snap files: walks the
// records, decodes them and hands them to one EtcdPrinter.
#pragma once

#include "tools/dump/etcd_printer.h"
#include "tools/outcome.h"

#include <filesystem>
#include <optional>
#include <ostream>
#include <set>
#include <string>

namespace zabra::tools {

struct EtcdDumpOptions {
    bool json = false;
    PrintOptions print;
    bool snap_files = false;  // --snapshot: the .snap files instead of the WAL
    std::uint64_t limit = 0;  // records printed, 0: all
    // Entry filters; when any is set only matching entries are printed.
    std::optional<std::uint64_t> start_index;  // index >= this
    std::optional<std::uint64_t> end_index;    // index < this
    std::set<std::uint64_t> terms;
    std::set<std::string> entry_types;  // etcd-dump-logs names, lower-cased
    bool show_secrets = false;
    bool filtered() const { return start_index || end_index || !terms.empty() || !entry_types.empty(); }
};

// etcd-dump-logs' entry type names (ConfigChange, Normal, Request,
// InternalRaftRequest, IRRPut, ...), for --entry-type's check and help.
const std::vector<std::string>& etcd_entry_type_names();

Outcome dump_etcd(const std::filesystem::path& path, const EtcdDumpOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
