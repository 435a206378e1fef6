// zabra dump: print ZooKeeper txn logs and snapshots, and etcd WAL and .snap files.
#pragma once

#include "tools/dump/etcd_dump.h"
#include "tools/dump/printer.h"
#include "tools/dump/txn_filter.h"
#include "tools/outcome.h"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace zabra::tools {

enum class DumpFormat { Text, Json, Zk };

struct DumpOptions {
    std::vector<std::string> paths;
    DumpFormat format = DumpFormat::Text;
    PrintOptions print;
    bool snapshot_only = false;
    bool logs_only = false;
    std::uint64_t limit = 0;  // 0 = no limit
    std::uint32_t max_record = 0;  // 0 = default jute limit
    TxnFilter filter;
    bool follow = false;
    std::uint32_t follow_poll_ms = 200;
    std::uint32_t follow_idle_exit_ms = 0;  // tests: stop after this long without new txns (0: never)
    EtcdDumpOptions etcd;  // filters and switches for etcd inputs (print, limit and format are copied in)
};

void setup_dump(CLI::App& app, DumpOptions& options);
Outcome run_dump(const DumpOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
