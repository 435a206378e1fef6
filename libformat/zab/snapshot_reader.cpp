#include "libformat/zab/snapshot_reader.h"

#include "libformat/zab/snapshot_body.h"

#include "libformat/common/snappy_codec.h"
#include "libformat/common/zlib_codec.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

namespace zabra::zab {

namespace {

constexpr std::uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
// snappy-java writes 32 KiB blocks; anything announcing more than this is not
// a block we will allocate for.
constexpr std::size_t kMaxSnappyBlock = 64u << 20;

// xerial snappy-java SnappyInputStream framing over raw Snappy blocks.
class XerialSnappySource final : public ByteSource {
public:
    explicit XerialSnappySource(ByteSpan in) : m_in(in) {
        if (in.size() < 16) throw TruncatedError("snappy: stream shorter than its 16-byte header", 0);
        m_pos = 16;
    }

    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        std::size_t produced = 0;
        while (produced < n) {
            if (m_block_pos == m_block.size()) {
                if (!next_block()) break;
                continue;
            }
            const std::size_t k = std::min(n - produced, m_block.size() - m_block_pos);
            std::memcpy(dst + produced, m_block.data() + m_block_pos, k);
            produced += k;
            m_block_pos += k;
        }
        return produced;
    }

    std::uint64_t consumed() const override { return m_pos; }

private:
    bool next_block() {
        if (m_pos == m_in.size()) return false;
        if (m_in.size() - m_pos < 4) {
            throw TruncatedError(fmt::format("snappy: block length cut off at compressed offset {}", m_pos), m_pos);
        }
        const std::uint32_t len = load_be32(m_in.data() + m_pos);
        if (len > m_in.size() - m_pos - 4) {
            throw TruncatedError(fmt::format("snappy: block of {} bytes at compressed offset {} runs past the end",
                                             len, m_pos),
                                 m_pos);
        }
        const ByteSpan block = m_in.subspan(m_pos + 4, len);
        const auto ulen = snappy_uncompressed_length(block);
        if (!ulen || *ulen > kMaxSnappyBlock) {
            throw FormatError(fmt::format("snappy: bad block header at compressed offset {}", m_pos), m_pos);
        }
        m_block.clear();
        if (!snappy_uncompress(block, m_block)) {
            throw FormatError(fmt::format("snappy: damaged block at compressed offset {}", m_pos), m_pos);
        }
        m_pos += 4 + len;
        m_block_pos = 0;
        return true;
    }

    ByteSpan m_in;
    std::size_t m_pos = 0;
    std::string m_block;
    std::size_t m_block_pos = 0;
};

// Buffered view of the uncompressed stream with a running Adler-32 over every
// byte handed out, which is what ZooKeeper's CheckedInputStream seals.
class SnapshotStream {
public:
    SnapshotStream(ByteSource& src, const std::function<void(std::uint64_t)>& on_consumed)
        : m_src(src), m_on_consumed(on_consumed) {}

    ByteSpan take(std::size_t n) {
        if (!fill(n)) {
            throw TruncatedError(fmt::format("snapshot stream ends at offset {}, inside a {}-byte field at offset {}",
                                             m_offset + (m_end - m_begin), n, m_offset),
                                 m_offset);
        }
        ByteSpan out(m_buf.data() + m_begin, n);
        m_adler = adler32_update(m_adler, out);
        m_begin += n;
        m_offset += n;
        return out;
    }

    bool at_eof() { return !fill(1); }
    std::uint64_t position() const { return m_offset; }
    std::uint32_t checksum() const { return m_adler; }

private:
    bool fill(std::size_t n) {
        if (m_end - m_begin >= n) return true;
        if (m_begin > 0) {
            std::memmove(m_buf.data(), m_buf.data() + m_begin, m_end - m_begin);
            m_end -= m_begin;
            m_begin = 0;
        }
        if (m_buf.size() < n) m_buf.resize(std::max<std::size_t>(n, 64 * 1024));
        if (m_buf.empty()) m_buf.resize(64 * 1024);
        while (m_end < n) {
            const std::size_t got = m_src.read(m_buf.data() + m_end, m_buf.size() - m_end);
            if (got == 0) return false;
            m_end += got;
        }
        if (m_on_consumed && m_src.consumed() >= m_reported + (4u << 20)) {
            m_reported = m_src.consumed();
            m_on_consumed(m_reported);
        }
        return true;
    }

    ByteSource& m_src;
    const std::function<void(std::uint64_t)>& m_on_consumed;
    std::uint64_t m_reported = 0;
    std::vector<std::uint8_t> m_buf;
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    std::uint64_t m_offset = 0;
    std::uint32_t m_adler = kAdler32Initial;
};

using Reader = JuteReader<SnapshotStream>;

SnapshotSeal read_seal(Reader& r, SnapshotStream& s) {
    SnapshotSeal seal;
    seal.computed = s.checksum();
    seal.offset = s.position();
    seal.stored = static_cast<std::uint64_t>(r.i64());
    r.string("seal path");  // "/", read and ignored as FileSnap does
    return seal;
}

void decode(SnapshotStream& s, const SnapshotReadOptions& options, SnapshotVisitor& visitor,
            SnapshotReadResult& result) {
    Reader r(s, options.max_buffer);
    SnapshotHeader& h = result.header;
    h.magic = static_cast<std::uint32_t>(r.i32());
    h.version = r.i32();
    h.dbid = r.i64();
    if (h.magic != kSnapshotMagic) {
        throw FormatError(fmt::format("bad magic 0x{:08x} (want 0x{:08x} \"ZKSN\")", h.magic, kSnapshotMagic), 0);
    }
    visitor.on_header(h);

    read_snapshot_body(r, s, visitor, result, options.max_buffer);

    SnapshotTrailer& t = result.trailer;
    t.seal1 = read_seal(r, s);
    if (s.at_eof()) return;
    ZxidDigest d;
    d.zxid = r.i64();
    d.version = r.i32();
    if (d.version < 2) {
        d.legacy_text = r.string("digest text");
    } else {
        d.digest = r.i64();
    }
    t.digest = d;
    t.seal2 = read_seal(r, s);
    if (s.at_eof()) return;
    t.last_processed_zxid = r.i64();
    t.seal3 = read_seal(r, s);
    // ZooKeeper stops after the sections it knows; so do we, but say so.
    result.extra_data = !s.at_eof();
}

}  // namespace

const char* compression_name(Compression c) {
    switch (c) {
    case Compression::None: return "none";
    case Compression::Gzip: return "gzip";
    case Compression::Snappy: return "snappy";
    }
    return "?";
}

bool SnapshotReadResult::ok() const {
    if (error || !trailer.seal1) return false;
    for (const auto* seal : {&trailer.seal1, &trailer.seal2, &trailer.seal3}) {
        if (*seal && !(*seal)->ok()) return false;
    }
    return true;
}

Compression detect_compression(ByteSpan file) {
    if (file.size() >= 2 && file[0] == 0x1f && file[1] == 0x8b) return Compression::Gzip;
    if (file.size() >= 8 && std::memcmp(file.data(), kXerialMagic, 8) == 0) return Compression::Snappy;
    return Compression::None;
}

bool starts_like_snapshot(ByteSpan file) {
    std::unique_ptr<ByteSource> source;
    switch (detect_compression(file)) {
    case Compression::None: source = std::make_unique<SpanSource>(file); break;
    case Compression::Gzip: source = make_gzip_source(file); break;
    case Compression::Snappy: source = std::make_unique<XerialSnappySource>(file); break;
    }
    std::uint8_t magic[4] = {};
    try {
        if (source->read(magic, sizeof magic) != sizeof magic) return false;
    } catch (const FormatError&) {
        return false;
    }
    return load_be32(magic) == kSnapshotMagic;
}

SnapshotReadResult read_snapshot(ByteSpan file, SnapshotVisitor& visitor, const SnapshotReadOptions& options) {
    SnapshotReadResult result;
    result.compression = detect_compression(file);
    std::unique_ptr<ByteSource> source;
    std::unique_ptr<SnapshotStream> stream;
    try {
        switch (result.compression) {
        case Compression::None: source = std::make_unique<SpanSource>(file); break;
        case Compression::Gzip: source = make_gzip_source(file); break;
        case Compression::Snappy: source = std::make_unique<XerialSnappySource>(file); break;
        }
        stream = std::make_unique<SnapshotStream>(*source, options.on_consumed);
        decode(*stream, options, visitor, result);
    } catch (const TruncatedError& e) {
        result.error = e.what();
        result.error_offset = stream ? stream->position() : 0;
        result.truncated = true;
    } catch (const FormatError& e) {
        result.error = e.what();
        result.error_offset = stream ? stream->position() : e.offset();
    }
    if (stream) result.stream_bytes = stream->position();
    return result;
}

namespace {

class CollectingVisitor final : public SnapshotVisitor {
public:
    explicit CollectingVisitor(Snapshot& s) : m_s(s) {}
    void on_session(const SnapshotSession& s) override { m_s.sessions.push_back(s); }
    void on_acl(const SnapshotAcl& a) override { m_s.acls.push_back(a); }
    void on_node(const SnapshotNode& n) override { m_s.nodes.push_back(n); }

private:
    Snapshot& m_s;
};

}  // namespace

Snapshot load_snapshot(ByteSpan file, SnapshotReadResult& result, const SnapshotReadOptions& options) {
    Snapshot snap;
    CollectingVisitor v(snap);
    result = read_snapshot(file, v, options);
    snap.header = result.header;
    snap.compression = result.compression;
    snap.trailer = result.trailer;
    return snap;
}

}  // namespace zabra::zab
