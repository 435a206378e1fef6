// Benchmark helper (not a test): writes an etcd member dir whose WAL holds
// SEGMENTS full segments, records encoded exactly as etcd 3.4 writes them,
// for scripts/bench-etcd.
//
//   zabra_make_etcd_segment DIR [--segments N] [--seed S]
//
// DIR/member/wal/%016x-%016x.wal (seq, index: 0 for the first, else the
// index after the last entry of the previous segment) and an
// empty DIR/member/snap/db. The first segment starts as wal.Create leaves it
// (crc record with chain 0, metadata, the {0,0} snapshot record); every later
// one as wal.cut does (crc record carrying the previous segment's chain,
// metadata, the current HardState). Then a realistic stream of Saves: an
// entry (an InternalRaftRequest put: header {ID}, key of 16-40 bytes, value
// of 100-1000 bytes) followed by a HardState (commit = that index), and a
// snapshot record (walpb.Snapshot {index, term}) every 10,000 entries.
// A closed segment ends with the record that crossed 64,000,000 bytes (etcd
// cuts after the Save that crossed it and truncates the file there); the
// last one is filled up to the limit and zero-padded to exactly
// 64,000,000 bytes, as a preallocated active segment.
#include "libformat/etcd/proto.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/wal_format.h"
#include "libformat/etcd/wal_writer.h"

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

using namespace zabra;
using namespace zabra::etcd;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kNodeId = 0x270d07b86795c13c;
constexpr std::uint64_t kClusterId = 0xb4c0b20f1195b01a;
constexpr std::uint64_t kTerm = 2;
constexpr std::uint64_t kSnapshotEvery = 10'000;

// etcd's request ids: the member id's low 16 bits, then a counter
std::uint64_t request_id(std::uint64_t n) { return ((kNodeId & 0xffff) << 48) | (0x5a17ull << 32) | n; }

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: {} DIR [--segments N] [--seed S]\n", argv[0]);
        return 2;
    }
    const fs::path dir = argv[1];
    int segments = 1;
    std::uint64_t seed = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--segments") {
            segments = std::stoi(argv[i + 1]);
        } else if (opt == "--seed") {
            seed = std::stoull(argv[i + 1]);
        } else {
            fmt::print(stderr, "unknown option {}\n", opt);
            return 2;
        }
    }
    if (segments < 1) return 2;
    const fs::path wal = dir / "member" / "wal";
    const fs::path snap = dir / "member" / "snap";
    fs::create_directories(wal);
    fs::create_directories(snap);
    write_file(snap / "db", "");

    std::mt19937_64 rng(seed);
    const auto uniform = [&rng](std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    // a pool of random text that values are cut from (fast, yet not uniform)
    std::string pool(1 << 20, '\0');
    for (char& c : pool) c = kAlphabet[uniform(0, sizeof kAlphabet - 2)];

    const WalMetadata meta{kNodeId, kClusterId};
    HardState hs{kTerm, kNodeId, 0};
    std::uint64_t index = 0, request = 0, entries = 0, snapshots = 0, total_bytes = 0;
    std::uint32_t chain = 0;
    std::string key, value, put, header, irr;

    for (int seg = 0; seg < segments; ++seg) {
        const bool last = seg == segments - 1;
        WalEncoder enc(chain);
        enc.crc_record();
        enc.metadata(meta);
        if (seg == 0) {
            enc.snapshot(WalSnapshot{0, 0, std::nullopt});
        } else {
            enc.hard_state(hs);
        }
        // wal.Create names the first segment 0-0; wal.cut names the next ones
        // after the index that follows the last entry written
        const std::string name = segment_file_name(static_cast<std::uint64_t>(seg), seg == 0 ? 0 : index + 1);
        while (true) {
            // the next Save: one entry and its HardState
            key = fmt::format("/registry/k{:02}/", uniform(0, 99));
            const std::size_t key_len = uniform(16, 40);
            while (key.size() < key_len) key += kAlphabet[uniform(0, 35)];
            key.resize(key_len);
            const std::size_t value_len = uniform(100, 1000);
            value.assign(pool, uniform(0, pool.size() - value_len), value_len);
            put.clear();
            append_bytes_field(put, 1, key);
            append_bytes_field(put, 2, value);
            header.clear();
            append_varint_field(header, 1, request_id(++request));
            irr.clear();
            append_bytes_field(irr, 4, put);      // gogo writes fields in number order:
            append_bytes_field(irr, 100, header);  // put (4) before header (100)

            const std::uint64_t next = index + 1;
            const bool snapshot = next % kSnapshotEvery == 0;
            // upper bound of what this Save adds (frames are padded to 8)
            const std::size_t save_bytes = irr.size() + 64 + 48 + (snapshot ? 48 : 0);
            if (last && enc.bytes().size() + save_bytes > kSegmentSizeBytes) break;

            Entry e;
            e.type = 0;
            e.term = kTerm;
            e.index = next;
            e.data = as_bytes(irr);
            enc.entry(e);
            hs.commit = next;
            enc.hard_state(hs);
            index = next;
            ++entries;
            if (snapshot) {
                enc.snapshot(WalSnapshot{index, kTerm, std::nullopt});
                ++snapshots;
            }
            if (!last && enc.bytes().size() >= kSegmentSizeBytes) break;  // etcd cuts here
        }
        const std::string bytes = last ? enc.preallocated(kSegmentSizeBytes) : enc.bytes();
        write_file(wal / name, bytes);
        total_bytes += bytes.size();
        chain = enc.chain();
        fmt::print("{}: {} bytes ({} of records), last index {}\n", (wal / name).string(), bytes.size(),
                   enc.bytes().size(), index);
    }
    fmt::print("{}: {} segments, {} bytes, {} entries (index 1..{}), {} snapshot records\n", dir.string(), segments,
               total_bytes, entries, index, snapshots);
    return 0;
}
