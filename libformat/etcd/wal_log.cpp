#include "libformat/etcd/wal_log.h"

namespace zabra::etcd {

WalLogReader::WalLogReader(std::vector<SegmentFile> segments) : m_segments(std::move(segments)) {}

bool WalLogReader::open_next() {
    while (m_next < m_segments.size()) {
        m_current = m_next++;
        try {
            m_file = std::make_unique<MappedFile>(m_segments[m_current].path);
        } catch (const std::exception& e) {
            SegmentEnd se;
            se.segment = m_current;
            se.open_error = e.what();
            se.chain_known = false;
            m_ends.push_back(se);
            if (on_segment_end) on_segment_end(m_ends.back());
            m_chain = 0;
            m_chain_known = false;
            continue;
        }
        WalReaderOptions o;
        o.chain = m_chain;
        o.last_segment = m_current + 1 == m_segments.size();
        o.extents = m_file.get();
        m_reader = std::make_unique<WalReader>(m_file->bytes(), o);
        m_released = 0;
        return true;
    }
    return false;
}

bool WalLogReader::next(WalLogRecord& record) {
    for (;;) {
        if (!m_reader && !open_next()) return false;
        if (m_reader->next(record.frame)) {
            record.segment = m_current;
            // Give back the pages behind us: memory stays flat however long the segment.
            if (record.frame.offset >= m_released + (8u << 20)) {
                m_file->release_before(record.frame.offset);
                m_released = record.frame.offset;
            }
            if (record.frame.type == static_cast<std::uint64_t>(RecordType::Crc)) m_chain_known = true;
            return true;
        }
        SegmentEnd se;
        se.segment = m_current;
        se.end = m_reader->end();
        se.chain_known = m_chain_known;
        m_ends.push_back(std::move(se));
        if (on_segment_end) on_segment_end(m_ends.back());
        if (m_reader->end().kind == WalEndKind::Damaged) {
            m_chain = 0;  // unknown: the next segment's crc record re-seeds it
            m_chain_known = false;
        } else {
            m_chain = m_reader->chain();
        }
        m_reader.reset();
        m_file.reset();
    }
}

}  // namespace zabra::etcd
