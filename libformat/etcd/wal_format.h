// etcd's write-ahead log and snapshot files, as etcd 3.4-3.6 write them
// (doc/etcd-wal.md).
//
//   member/wal/<seq %016x>-<index %016x>.wal    segments, preallocated to 64,000,000 bytes
//   segment = { frame } [ zero fill ]
//   frame   = length:u64le  record:walpb.Record[L]  zero:u8[P]
//             L = length & 0x00ffffffffffffff; P = (length >> 63) ? (length >> 56) & 7 : 0
//             every frame starts on an 8-byte boundary; a length word of 0 ends the data
//   walpb.Record  = type:1 varint, crc:2 varint, data:3 bytes (absent in crc records)
//   type 1 metadata  data = etcdserverpb.Metadata { NodeID:1, ClusterID:2 }
//        2 entry     data = raftpb.Entry { Type:1, Term:2, Index:3, Data:4 }
//        3 state     data = raftpb.HardState { term:1, vote:2, commit:3 }
//        4 crc       crc  = the running chain value at the end of the previous segment
//        5 snapshot  data = walpb.Snapshot { index:1, term:2, conf_state:3 }
//   crc: CRC-32C chained over the data of every record since the last crc
//        record; each record stores the chain value after its own data.
//
//   member/snap/<term %016x>-<index %016x>.snap
//   snappb.snapshot = crc:1 varint (CRC-32C of data), data:2 raftpb.Snapshot
//   raftpb.Snapshot = data:1 bytes (v2 store JSON), metadata:2 { conf_state:1, index:2, term:3 }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zabra::etcd {

inline constexpr std::uint64_t kSegmentSizeBytes = 64'000'000;
inline constexpr std::uint64_t kFrameAlign = 8;
inline constexpr std::uint64_t kTornSectorSize = 512;  // etcd's torn-write test cuts at these
// etcd 3.4.10-3.5.4 refuse records of 10 MiB and more; later ones only
// records longer than the file. Frames past this are implausible for any version.
inline constexpr std::uint64_t kMaxRecordBytes = 10ull << 20;

enum class RecordType : std::uint32_t { Metadata = 1, Entry = 2, State = 3, Crc = 4, Snapshot = 5 };
const char* record_type_name(std::uint64_t type);  // "metadata", ..., "unknown"

struct SegmentName {
    std::uint64_t seq = 0;
    std::uint64_t index = 0;
};
// "%016x-%016x.wal" exactly (lower-case hex); nullopt otherwise.
std::optional<SegmentName> parse_segment_name(std::string_view name);
std::string segment_file_name(std::uint64_t seq, std::uint64_t index);

struct SnapName {
    std::uint64_t term = 0;
    std::uint64_t index = 0;
};
// "%016x-%016x.snap" exactly.
std::optional<SnapName> parse_snap_name(std::string_view name);
std::string snap_file_name(std::uint64_t term, std::uint64_t index);

}  // namespace zabra::etcd
