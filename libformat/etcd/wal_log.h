// Reads a member's WAL segments in order as one log: the CRC chain runs
// across segments, only the last one may end torn, and after damage reading
// goes on in the next segment with the chain unknown (re-seeded by its crc
// record), so one bad frame does not hide everything after it. One segment
// is mapped at a time.
#pragma once

#include "libformat/common/mapped_file.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/wal_reader.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zabra::etcd {

struct WalLogRecord {
    std::size_t segment = 0;  // index into the segment list
    WalFrame frame;           // data valid until the next call to next()
};

struct SegmentEnd {
    std::size_t segment = 0;
    WalEnd end;
    bool chain_known = true;  // false: read after damage, crc values unverified until a crc record
    std::optional<std::string> open_error;  // the file could not be read at all
};

class WalLogReader {
public:
    explicit WalLogReader(std::vector<SegmentFile> segments);

    bool next(WalLogRecord& record);
    const std::vector<SegmentFile>& segments() const { return m_segments; }
    // One per segment finished so far.
    const std::vector<SegmentEnd>& ends() const { return m_ends; }
    // Called after each segment ends (for reports in file order while streaming).
    std::function<void(const SegmentEnd&)> on_segment_end;

private:
    bool open_next();

    std::vector<SegmentFile> m_segments;
    std::size_t m_next = 0;
    std::unique_ptr<MappedFile> m_file;
    std::unique_ptr<WalReader> m_reader;
    std::size_t m_current = 0;
    std::uint32_t m_chain = 0;
    bool m_chain_known = true;
    std::uint64_t m_released = 0;
    std::vector<SegmentEnd> m_ends;
};

}  // namespace zabra::etcd
