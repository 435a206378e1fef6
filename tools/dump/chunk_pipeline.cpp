#include "tools/dump/chunk_pipeline.h"

#include <streambuf>

namespace zabra::tools {

namespace {

// A chunk's text is a few MiB: growing a new buffer by doubling would copy it
// over and over (a third of a one-log dump's time).
constexpr std::size_t kChunkTextReserve = 4u << 20;

// An ostream target that appends to a caller's string, so that the string's
// capacity can be reused (std::ostringstream always starts empty).
class StringAppendBuf final : public std::streambuf {
public:
    explicit StringAppendBuf(std::string& s) : m_s(s) {}

protected:
    std::streamsize xsputn(const char* p, std::streamsize n) override {
        m_s.append(p, static_cast<std::size_t>(n));
        return n;
    }
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) m_s.push_back(traits_type::to_char_type(c));
        return traits_type::not_eof(c);
    }

private:
    std::string& m_s;
};

}  // namespace

ChunkPipeline::ChunkPipeline(std::ostream& out, MakePrinter make_printer, unsigned workers,
                             std::vector<std::string>& spare_buffers, Written written)
    : m_out(out),
      m_make_printer(std::move(make_printer)),
      m_workers(workers),
      m_spare_buffers(spare_buffers),
      m_written(std::move(written)) {}

ChunkPipeline::~ChunkPipeline() {
    for (auto& f : m_in_flight) f.first.wait();  // (only when unwinding)
}

void ChunkPipeline::submit(Format format, std::uint64_t mark) {
    if (m_in_flight.size() >= 2 * m_workers) write_front();
    std::string buffer;
    if (!m_spare_buffers.empty()) {
        buffer = std::move(m_spare_buffers.back());
        m_spare_buffers.pop_back();
    } else {
        buffer.reserve(kChunkTextReserve);
    }
    auto job = [make_printer = m_make_printer, format = std::move(format)](std::string buf) {
        StringAppendBuf sink(buf);
        std::ostream out(&sink);
        const std::unique_ptr<Printer> printer = make_printer(out);
        Chunk c;
        format(*printer, c);
        out.flush();
        c.text = std::move(buf);
        return c;
    };
    m_in_flight.emplace_back(std::async(std::launch::async, std::move(job), std::move(buffer)), mark);
}

void ChunkPipeline::drain() {
    while (!m_in_flight.empty()) write_front();
}

void ChunkPipeline::write_front() {
    Chunk c = m_in_flight.front().first.get();
    const std::uint64_t mark = m_in_flight.front().second;
    m_in_flight.pop_front();
    m_out.write(c.text.data(), static_cast<std::streamsize>(c.text.size()));
    if (m_written) m_written(c, mark);
    c.text.clear();
    m_spare_buffers.push_back(std::move(c.text));
}

}  // namespace zabra::tools
