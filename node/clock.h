// The two clocks zabra-node reads: the wall clock (txn times, session
// expiry, as ZooKeeper's Time.currentWallTime) and a monotonic one (latency).
#pragma once

#include <chrono>
#include <cstdint>

namespace zabra::node {

inline std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::int64_t mono_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace zabra::node
