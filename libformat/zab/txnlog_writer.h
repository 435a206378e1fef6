// Writes ZooKeeper txn logs byte for byte as FileTxnLog does: header flushed
// first, then FilePadding-style preallocation decided on the flushed position
// before each append, records framed as crc, len, payload, 'B'.
#pragma once

#include "libformat/zab/txn.h"
#include "libformat/zab/txnlog_format.h"

#include <filesystem>
#include <string>

namespace zabra::zab {

// One framed record: Adler-32 as a long, length, payload, EOR.
std::string frame_record(ByteSpan payload);
std::string encode_log_header(std::int64_t dbid = 0);

// FilePadding.calculateFileSizeWithPadding.
std::uint64_t padded_file_size(std::uint64_t position, std::uint64_t file_size, std::uint64_t prealloc);

struct TxnLogWriterOptions {
    std::uint64_t prealloc_bytes = kDefaultPreallocBytes;  // 0 disables preallocation
    std::int64_t dbid = 0;
    // Grow the file in whole prealloc steps ahead of the buffered records, so
    // its size is always 16 + k x prealloc (zabra-node, which flushes a whole
    // group commit at once). Off: FilePadding's exact sizes, for byte-identical
    // copies of ZooKeeper's files.
    bool whole_steps = false;
};

class TxnLogWriter {
public:
    // Creates `path` (which must not exist) and writes nothing until the first append.
    TxnLogWriter(std::filesystem::path path, TxnLogWriterOptions options = {});
    ~TxnLogWriter();
    TxnLogWriter(const TxnLogWriter&) = delete;
    TxnLogWriter& operator=(const TxnLogWriter&) = delete;

    void append(const Txn& txn);
    void append_payload(ByteSpan payload);
    // Writes buffered records to the file (FileTxnLog.commit's flush).
    void flush();
    // flush() and fdatasync(); throws on failure, since a lost fsync is lost data.
    void sync();
    void close();
    // Renames the open file (the caller fsyncs the directory): a writer that
    // builds a log under a temporary name publishes it once its header and
    // first records are durable, so no crash leaves a header-less log.<zxid>.
    void rename_to(const std::filesystem::path& path);
    const std::filesystem::path& path() const { return m_path; }

    std::uint64_t data_end() const { return m_flushed + m_pending.size(); }
    std::uint64_t file_size() const { return m_file_size; }

private:
    void write_at(std::uint64_t offset, ByteSpan bytes);

    std::filesystem::path m_path;
    TxnLogWriterOptions m_options;
    int m_fd = -1;
    bool m_started = false;
    std::uint64_t m_flushed = 0;
    std::uint64_t m_file_size = 0;
    std::string m_pending;
};

}  // namespace zabra::zab
