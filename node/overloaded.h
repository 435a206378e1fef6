// Small things the roles' step visitors share.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace zabra::node {

// std::visit over a step variant with one lambda per step.
template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// A zxid as the logs print it.
inline std::string hexz(std::int64_t zxid) { return fmt::format("0x{:x}", zxid); }

}  // namespace zabra::node
