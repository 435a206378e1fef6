// CRC-32C (Castagnoli), as etcd chains it over WAL records and seals .snap
// files with. Hand-written: Debian packages no CRC-32C library (zlib only has
// CRC-32). Uses the SSE4.2 crc32 instruction when the CPU has it.
#pragma once

#include "libformat/common/bytes.h"

#include <cstdint>

namespace zabra {

// Continues a finished CRC-32C value over more bytes: crc32c_extend(0, a+b)
// == crc32c_extend(crc32c_extend(0, a), b), as etcd's running chain needs.
std::uint32_t crc32c_extend(std::uint32_t crc, ByteSpan bytes);

// The table-driven path whatever the CPU (tests compare both).
std::uint32_t crc32c_extend_portable(std::uint32_t crc, ByteSpan bytes);

inline std::uint32_t crc32c(ByteSpan bytes) { return crc32c_extend(0, bytes); }

}  // namespace zabra
