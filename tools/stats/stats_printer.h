// Presentation of `zabra stats`; one implementation per output format.
#pragma once

#include "libformat/etcd/wal_stats.h"
#include "libformat/zab/stats.h"

#include <algorithm>
#include <memory>
#include <vector>
#include <ostream>
#include <string>

namespace zabra::tools {

class StatsPrinter {
public:
    virtual ~StatsPrinter() = default;
    virtual void logs(const std::string& what, const zab::LogStats& s, std::size_t top) = 0;
    virtual void snapshot(const std::string& file, const zab::SnapshotStats& s, std::size_t top) = 0;
    virtual void etcd_wal(const std::string& what, const etcd::WalStats& s, std::size_t top) = 0;
    virtual void finish() {}
};

std::unique_ptr<StatsPrinter> make_text_stats_printer(std::ostream& out);
std::unique_ptr<StatsPrinter> make_json_stats_printer(std::ostream& out);

// Entries of a map sorted by count, largest first, at most n of them.
template <class Map, class Count>
std::vector<typename Map::const_iterator> top_entries(const Map& m, std::size_t n, Count count) {
    std::vector<typename Map::const_iterator> v;
    for (auto it = m.begin(); it != m.end(); ++it) v.push_back(it);
    std::stable_sort(v.begin(), v.end(), [&](auto a, auto b) { return count(a->second) > count(b->second); });
    if (v.size() > n) v.resize(n);
    return v;
}

}  // namespace zabra::tools
