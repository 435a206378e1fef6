// Read-only memory map of a whole file. Logs are read in place, so memory use
// does not grow with the file and nothing is allocated from length fields.
#pragma once

#include "libformat/common/bytes.h"

#include <filesystem>
#include <string>

namespace zabra {

// Which ranges of a file can hold data; the rest are holes (zeros that are not
// on disk). ZooKeeper preallocates logs by writing one byte at the end, so a
// 64 MiB log is mostly hole, and scanning it for non-zero bytes need not read it.
// A copy (cp, tar, rsync, a backup) has no holes: its zeros are real, so a
// reader also gives the pages it has scanned back (release), or a dense tail
// would stay resident.
class FileExtents {
public:
    virtual ~FileExtents() = default;
    // The first offset >= from that may hold data, or the file size.
    virtual std::uint64_t next_data(std::uint64_t from) const = 0;
    // The first offset >= from that starts a hole (or the file size).
    virtual std::uint64_t next_hole(std::uint64_t from) const = 0;
    // The bytes of [from, to) will not be read again soon: their pages may be
    // dropped from memory. They stay readable (read back from the file).
    virtual void release(std::uint64_t from, std::uint64_t to) const = 0;
    // Copies up to n bytes at `offset` into dst, not through the map (a copy
    // of long zero runs costs less than faulting their pages in and out);
    // returns how many were copied, 0 when it cannot.
    virtual std::size_t read_at(std::uint64_t offset, std::uint8_t* dst, std::size_t n) const = 0;
};

class MappedFile final : public FileExtents {
public:
    // Throws std::system_error (with the path in the message) when the file
    // cannot be opened or mapped.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;  // NOLINT
    MappedFile& operator=(MappedFile&&) = delete;
    MappedFile(const MappedFile&) = delete;

    ByteSpan bytes() const { return {m_data, m_size}; }
    std::size_t size() const { return m_size; }
    const std::filesystem::path& path() const { return m_path; }

    // Tells the kernel the bytes before `offset` will not be read again soon,
    // so a sequential scan keeps a flat resident size whatever the file's
    // size. They stay readable (they are read back from the file if needed).
    void release_before(std::uint64_t offset) const;

    std::uint64_t next_data(std::uint64_t from) const override;
    std::uint64_t next_hole(std::uint64_t from) const override;
    void release(std::uint64_t from, std::uint64_t to) const override;
    std::size_t read_at(std::uint64_t offset, std::uint8_t* dst, std::size_t n) const override;

private:
    std::filesystem::path m_path;
    const std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
    int m_fd = -1;  // kept for SEEK_DATA / SEEK_HOLE
};

// Whole file into memory (small files: epochs, tests).
std::string read_file(const std::filesystem::path& path);

}  // namespace zabra
