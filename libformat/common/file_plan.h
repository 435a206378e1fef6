// A plan of file changes (cut a file to a size, move a file aside) and its
// crash-safe execution with an intent journal, a backup of every byte
// removed, and undo (doc/rollback.md §3-§5). Repair and rollback build plans;
// this carries them out.
//
//   <root>/zabra-backup-<UTC>-<command>/
//       journal.json    the plan, the size and SHA-1 of every file touched, and the state
//       <file name>     each file moved aside, and a whole copy of each file cut
//                       (a name taken already, from another dir of the plan: <n>-<file name>)
//
// One plan may touch files in several dirs (a ZooKeeper dataDir and a
// separate dataLogDir); its backup dir is under one root all the same, and a
// file on another file system is copied there and then removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zabra {

struct FileStep {
    enum class Kind { Cut, MoveAside };
    Kind kind = Kind::Cut;
    std::filesystem::path file;
    std::uint64_t new_size = 0;  // Cut
    std::string detail;          // what goes, for people (zxid ranges, records)
};

struct FilePlan {
    std::string command;  // "rollback", "repair"
    std::string target;   // e.g. "0x100000005"
    std::vector<FileStep> steps;
};

struct JournalState {
    std::filesystem::path backup_dir;
    std::string command, target;
    std::string state;  // "applying", "done", "undoing", "undone"
    std::vector<std::filesystem::path> files;  // every file the plan touches (absolute)
};

// Applies `plan`, backing up under `root` (a dir outside version-2 on the
// same file system). Returns the backup dir. Throws on any I/O failure; a
// re-run then finds the unfinished journal (see unfinished_journal).
std::filesystem::path apply_file_plan(const FilePlan& plan, const std::filesystem::path& root);

// A backup dir under `root` whose journal was not finished (a crash), if any.
std::optional<JournalState> unfinished_journal(const std::filesystem::path& root);
// Finishes an unfinished apply (every step is idempotent).
void resume_file_plan(const std::filesystem::path& backup_dir);

// Restores every file the plan touched to its original bytes, and checks
// their SHA-1s. Throws if a file no longer matches what the plan left.
void undo_file_plan(const std::filesystem::path& backup_dir);

JournalState read_journal_state(const std::filesystem::path& backup_dir);

}  // namespace zabra
