#include "libformat/zab/txnlog_writer.h"

#include "libformat/common/zlib_codec.h"
#include "libformat/zab/txn_codec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace zabra::zab {

std::string frame_record(ByteSpan payload) {
    std::string out;
    out.reserve(kRecordPrefixSize + payload.size() + 1);
    append_be64(out, adler32_of(payload));
    append_be32(out, static_cast<std::uint32_t>(payload.size()));
    out.append(as_chars(payload));
    out.push_back(static_cast<char>(kEndOfRecord));
    return out;
}

std::string encode_log_header(std::int64_t dbid) {
    std::string out;
    append_be32(out, kTxnLogMagic);
    append_be32(out, static_cast<std::uint32_t>(kTxnLogVersion));
    append_be64(out, static_cast<std::uint64_t>(dbid));
    return out;
}

std::uint64_t padded_file_size(std::uint64_t position, std::uint64_t file_size, std::uint64_t prealloc) {
    if (prealloc > 0 && position + kPaddingProximity >= file_size) {
        if (position > file_size) {
            file_size = position + prealloc;
            file_size -= file_size % prealloc;
        } else {
            file_size += prealloc;
        }
    }
    return file_size;
}

TxnLogWriter::TxnLogWriter(std::filesystem::path path, TxnLogWriterOptions options)
    : m_path(std::move(path)), m_options(options) {
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (m_fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + m_path.string());
}

TxnLogWriter::~TxnLogWriter() {
    if (m_fd >= 0) {
        try {
            flush();
        } catch (...) {
        }
        ::close(m_fd);
    }
}

void TxnLogWriter::write_at(std::uint64_t offset, ByteSpan bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::pwrite(m_fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "write to " + m_path.string());
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

void TxnLogWriter::append(const Txn& txn) {
    const std::string payload = encode_txn(txn);
    append_payload(as_bytes(payload));
}

void TxnLogWriter::append_payload(ByteSpan payload) {
    if (!m_started) {
        m_started = true;
        m_pending = encode_log_header(m_options.dbid);
        flush();
        m_file_size = m_flushed;
    }
    std::uint64_t new_size = m_file_size;
    if (m_options.whole_steps) {
        // Ahead of everything buffered, in whole steps: the size stays
        // header + k x prealloc however many records one flush carries.
        const std::uint64_t end = data_end() + kRecordPrefixSize + payload.size() + 1;
        while (m_options.prealloc_bytes > 0 && end + kPaddingProximity >= new_size) new_size += m_options.prealloc_bytes;
    } else {
        // FilePadding looks at the channel position, i.e. what has been flushed.
        new_size = padded_file_size(m_flushed, m_file_size, m_options.prealloc_bytes);
    }
    if (new_size != m_file_size) {
        const std::uint8_t zero = 0;
        write_at(new_size - 1, {&zero, 1});
        m_file_size = new_size;
    }
    m_pending += frame_record(payload);
}

void TxnLogWriter::flush() {
    if (m_pending.empty()) return;
    write_at(m_flushed, as_bytes(m_pending));
    m_flushed += m_pending.size();
    m_pending.clear();
    m_file_size = std::max(m_file_size, m_flushed);
}

void TxnLogWriter::sync() {
    flush();
    if (::fdatasync(m_fd) != 0) throw std::system_error(errno, std::generic_category(), "fdatasync " + m_path.string());
}

void TxnLogWriter::rename_to(const std::filesystem::path& path) {
    // Never over an existing log, as the O_EXCL create guarantees for the first name.
    if (::renameat2(AT_FDCWD, m_path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno != EINVAL && errno != ENOSYS) {
            throw std::system_error(errno, std::generic_category(),
                                    "rename " + m_path.string() + " to " + path.string());
        }
        // A file system without RENAME_NOREPLACE.
        if (std::filesystem::exists(path)) {
            throw std::system_error(EEXIST, std::generic_category(), "rename to " + path.string());
        }
        std::filesystem::rename(m_path, path);
    }
    m_path = path;
}

void TxnLogWriter::close() {
    if (m_fd < 0) return;
    flush();
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close " + m_path.string());
}

}  // namespace zabra::zab
