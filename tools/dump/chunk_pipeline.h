// Ordered parallel formatting for dump. Formatting is most of dump's work and
// each record or node is independent: chunks are formatted on other cores,
// each by its own printer into its own buffer, and written in the order they
// were submitted. A few chunks at a time are in flight, so memory stays
// bounded.
#pragma once

#include "tools/dump/printer.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace zabra::tools {

// What one chunk produced: its text, and what it counted.
struct Chunk {
    std::string text;
    bool damage = false;      // it met something ZooKeeper could not replay
    std::uint64_t count = 0;  // records or nodes printed (for --limit and totals)
};

// A chunk ends at this many records or nodes, or payload bytes, whichever
// comes first, so big records cannot make big chunks.
inline constexpr std::size_t kChunkItems = 8192;
inline constexpr std::size_t kChunkPayloadBytes = 1u << 20;

class ChunkPipeline {
public:
    using MakePrinter = std::function<std::unique_ptr<Printer>(std::ostream&)>;
    using Format = std::function<void(Printer&, Chunk&)>;
    // Runs on the submitting thread once a chunk is written; `mark` is what
    // submit() was given with it.
    using Written = std::function<void(const Chunk&, std::uint64_t mark)>;

    // `spare_buffers` is the caller's pool of output buffers, reused across
    // pipelines: a fresh multi-megabyte buffer per chunk costs a page fault
    // per 4 KiB. At most 2 * `workers` chunks are in flight.
    ChunkPipeline(std::ostream& out, MakePrinter make_printer, unsigned workers,
                  std::vector<std::string>& spare_buffers, Written written);
    ChunkPipeline(const ChunkPipeline&) = delete;
    ChunkPipeline& operator=(const ChunkPipeline&) = delete;
    ~ChunkPipeline();

    // `format(printer, chunk)` runs on another core.
    void submit(Format format, std::uint64_t mark);
    // Writes every chunk in flight.
    void drain();

private:
    void write_front();

    std::ostream& m_out;
    MakePrinter m_make_printer;
    unsigned m_workers;
    std::vector<std::string>& m_spare_buffers;
    Written m_written;
    std::deque<std::pair<std::future<Chunk>, std::uint64_t>> m_in_flight;
};

}  // namespace zabra::tools
