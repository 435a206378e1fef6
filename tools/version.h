#pragma once
namespace zabra::tools {
inline constexpr const char* kVersion = "0.1.0";
}
