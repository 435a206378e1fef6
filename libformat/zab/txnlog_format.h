// ZooKeeper transaction log file (version-2/log.<first zxid in hex>), 3.5-3.9:
//
//   file      := FileHeader record* padding
//   FileHeader:= int magic "ZKLG" (0x5a4b4c47), int version (2), long dbid (0)
//   record    := long crc, int len, byte payload[len], byte EOR (0x42 'B')
//   padding   := zero bytes up to the preallocated size
//
// crc is Adler-32 of the payload only (not len, not EOR), stored in a long
// whose top four bytes are zero. payload is a Txn (see txn.h).
//
// End of data, as FileTxnLog reads it: EOF, a zero len (preallocated space),
// a payload or EOR cut off by EOF, or an EOR byte other than 'B'. Each ends
// only that file; replay moves on to the next log. A CRC mismatch, len -1 or
// a len over jute.maxbuffer is fatal to the server.
//
// Preallocation (FilePadding): before each append, if the flushed position is
// within 4096 bytes of the file size, the size grows by preAllocSize (or to
// the next multiple of preAllocSize past the position), by writing one zero
// byte at size-1. A fresh file therefore has 16 + preAllocSize bytes.
#pragma once

#include <cstdint>

namespace zabra::zab {

constexpr std::uint32_t kTxnLogMagic = 0x5a4b4c47;  // "ZKLG"
constexpr std::int32_t kTxnLogVersion = 2;
constexpr std::size_t kTxnLogHeaderSize = 16;
constexpr std::size_t kRecordPrefixSize = 12;  // crc + len
constexpr std::uint8_t kEndOfRecord = 0x42;    // 'B'
constexpr std::uint64_t kDefaultPreallocBytes = 64ull * 1024 * 1024;
constexpr std::uint64_t kPaddingProximity = 4096;

}  // namespace zabra::zab
