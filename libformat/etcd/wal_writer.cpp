#include "libformat/etcd/wal_writer.h"

#include "libformat/common/crc32c.h"
#include "libformat/etcd/wal_reader.h"

namespace zabra::etcd {

void WalEncoder::crc_record() { m_out += frame_wal_record(static_cast<std::uint64_t>(RecordType::Crc), m_chain, nullptr); }

void WalEncoder::record(RecordType type, const std::string& data) {
    m_chain = crc32c_extend(m_chain, as_bytes(data));
    m_out += frame_wal_record(static_cast<std::uint64_t>(type), m_chain, &data);
}

std::string WalEncoder::preallocated(std::uint64_t size) const {
    std::string out = m_out;
    if (out.size() < size) out.resize(static_cast<std::size_t>(size), '\0');
    return out;
}

}  // namespace zabra::etcd
