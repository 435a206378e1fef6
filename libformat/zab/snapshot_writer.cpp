#include "libformat/zab/snapshot_writer.h"

#include "libformat/common/snappy_codec.h"
#include "libformat/common/zlib_codec.h"

namespace zabra::zab {

namespace {

void write_seal(JuteWriter& w) {
    const std::uint32_t adler = adler32_of(as_bytes(w.out()));
    w.i64(adler);
    w.string("/");
}

}  // namespace

void append_snapshot_head(std::string& out, const SnapshotHeader& header, const std::vector<SnapshotSession>& sessions,
                          const std::vector<SnapshotAcl>& acls) {
    JuteWriter w(out);
    w.i32(static_cast<std::int32_t>(header.magic));
    w.i32(header.version);
    w.i64(header.dbid);
    append_snapshot_body_head(out, sessions, acls);
}

void append_snapshot_body_head(std::string& out, const std::vector<SnapshotSession>& sessions,
                               const std::vector<SnapshotAcl>& acls) {
    JuteWriter w(out);
    w.i32(static_cast<std::int32_t>(sessions.size()));
    for (const auto& s : sessions) {
        w.i64(s.id);
        w.i32(s.timeout);
    }
    w.i32(static_cast<std::int32_t>(acls.size()));
    for (const auto& a : acls) {
        w.i64(a.id);
        if (!a.acls) {
            w.i32(-1);
            continue;
        }
        w.i32(static_cast<std::int32_t>(a.acls->size()));
        for (const auto& acl : *a.acls) {
            w.i32(acl.perms);
            w.string(acl.scheme);
            w.string(acl.id);
        }
    }
}

void append_snapshot_node(std::string& out, std::string_view path, const Buffer& data, std::int64_t acl,
                          const StatPersisted& st) {
    JuteWriter w(out);
    w.string(path);
    w.buffer(data);
    w.i64(acl);
    w.i64(st.czxid);
    w.i64(st.mzxid);
    w.i64(st.ctime);
    w.i64(st.mtime);
    w.i32(st.version);
    w.i32(st.cversion);
    w.i32(st.aversion);
    w.i64(st.ephemeral_owner);
    w.i64(st.pzxid);
}

void append_snapshot_trailer(std::string& out, const SnapshotTrailer& trailer) {
    JuteWriter w(out);
    w.string("/");
    write_seal(w);
    if (trailer.digest) {
        const ZxidDigest& d = *trailer.digest;
        w.i64(d.zxid);
        w.i32(d.version);
        if (d.version < 2) {
            w.string(d.legacy_text.value_or(""));
        } else {
            w.i64(d.digest);
        }
        write_seal(w);
        if (trailer.last_processed_zxid) {
            w.i64(*trailer.last_processed_zxid);
            write_seal(w);
        }
    }
}

std::string encode_snapshot_stream(const Snapshot& snap) {
    std::string out;
    append_snapshot_head(out, snap.header, snap.sessions, snap.acls);
    for (const auto& n : snap.nodes) append_snapshot_node(out, n.path, n.data, n.acl, n.stat);
    append_snapshot_trailer(out, snap.trailer);
    return out;
}

std::string encode_snapshot(const Snapshot& snap, Compression compression) {
    std::string stream = encode_snapshot_stream(snap);
    switch (compression) {
    case Compression::None:
        return stream;
    case Compression::Gzip: {
        std::string out;
        GzipWriter gz;
        gz.write(as_bytes(stream), out);
        gz.finish(out);
        return out;
    }
    case Compression::Snappy: {
        std::string out("\x82SNAPPY\0", 8);
        append_be32(out, 1);
        append_be32(out, 1);
        const ByteSpan all = as_bytes(stream);
        for (std::size_t at = 0; at < all.size(); at += kXerialBlockSize) {
            std::string block;
            snappy_compress(all.subspan(at, std::min(kXerialBlockSize, all.size() - at)), block);
            append_be32(out, static_cast<std::uint32_t>(block.size()));
            out += block;
        }
        return out;
    }
    }
    return stream;
}

}  // namespace zabra::zab
