// Read-only memory map of a whole file. Logs are read in place, so memory use
// does not grow with the file and nothing is allocated from length fields.
#pragma once

#include "libformat/common/bytes.h"

#include <filesystem>
#include <string>

namespace zabra {

class MappedFile {
public:
    // Throws std::system_error (with the path in the message) when the file
    // cannot be opened or mapped.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&&) = delete;
    MappedFile(const MappedFile&) = delete;

    ByteSpan bytes() const { return {m_data, m_size}; }
    std::size_t size() const { return m_size; }
    const std::filesystem::path& path() const { return m_path; }

    // Tells the kernel the bytes before `offset` will not be read again soon,
    // so a sequential scan keeps a flat resident size whatever the file's
    // size. They stay readable (they are read back from the file if needed).
    void release_before(std::uint64_t offset) const;

private:
    std::filesystem::path m_path;
    const std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

// Whole file into memory (small files: epochs, tests).
std::string read_file(const std::filesystem::path& path);

}  // namespace zabra
