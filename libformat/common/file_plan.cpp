#include "libformat/common/file_plan.h"

#include "libformat/common/json_reader.h"
#include "libformat/common/mapped_file.h"
#include "libformat/common/safe_fs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace zabra {

namespace fs = std::filesystem;

namespace {

constexpr const char* kJournal = "journal.json";

std::string json_quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

struct JournalStep {
    FileStep step;
    std::uint64_t size = 0;  // before
    std::string sha1;        // before
    std::string backup;      // file name in the backup dir
};

struct Journal {
    std::string command, target, state;
    std::vector<JournalStep> steps;
};

std::string render(const Journal& j) {
    std::string out = fmt::format("{{\"command\":{},\"target\":{},\"state\":{},\"steps\":[", json_quoted(j.command),
                                  json_quoted(j.target), json_quoted(j.state));
    for (std::size_t i = 0; i < j.steps.size(); ++i) {
        const JournalStep& s = j.steps[i];
        out += fmt::format("{}\n{{\"kind\":\"{}\",\"file\":{},\"new_size\":{},\"size\":{},\"sha1\":\"{}\",\"backup\":{},"
                           "\"detail\":{}}}",
                           i ? "," : "", s.step.kind == FileStep::Kind::Cut ? "cut" : "move-aside",
                           json_quoted(s.step.file.string()), s.step.new_size, s.size, s.sha1, json_quoted(s.backup),
                           json_quoted(s.step.detail));
    }
    return out + "]}\n";
}

Journal load(const fs::path& backup_dir) {
    std::ifstream in(backup_dir / kJournal, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("{}: no {} (not a zabra backup dir)", backup_dir.string(), kJournal));
    std::stringstream ss;
    ss << in.rdbuf();
    const JsonValue v = parse_json(ss.str());
    auto str = [](const JsonValue& o, const char* k) {
        const JsonValue* x = o.get(k);
        if (!x || !x->string()) throw std::runtime_error(std::string("journal: no string ") + k);
        return *x->string();
    };
    auto num = [](const JsonValue& o, const char* k) {
        const JsonValue* x = o.get(k);
        if (!x || !x->number()) throw std::runtime_error(std::string("journal: no number ") + k);
        return std::stoull(x->number()->text);
    };
    Journal j{str(v, "command"), str(v, "target"), str(v, "state"), {}};
    const JsonValue* steps = v.get("steps");
    if (!steps || !steps->array()) throw std::runtime_error("journal: no steps");
    for (const JsonValue& s : *steps->array()) {
        JournalStep js;
        js.step.kind = str(s, "kind") == "cut" ? FileStep::Kind::Cut : FileStep::Kind::MoveAside;
        js.step.file = str(s, "file");
        js.step.new_size = num(s, "new_size");
        js.step.detail = str(s, "detail");
        js.size = num(s, "size");
        js.sha1 = str(s, "sha1");
        js.backup = str(s, "backup");
        j.steps.push_back(std::move(js));
    }
    return j;
}

void save(const fs::path& backup_dir, const Journal& j) { write_file_durably(backup_dir / kJournal, render(j)); }

// Our own lock on the backup root, so two runs cannot interleave.
class RootLock {
public:
    explicit RootLock(const fs::path& root) : m_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (m_fd < 0) throw std::system_error(errno, std::generic_category(), "open " + root.string());
        if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(m_fd);
            throw std::runtime_error(fmt::format("{} is locked by another zabra run", root.string()));
        }
    }
    ~RootLock() { ::close(m_fd); }
    RootLock(const RootLock&) = delete;
    RootLock& operator=(const RootLock&) = delete;

private:
    int m_fd;
};

bool matches(const fs::path& p, std::uint64_t size, const std::string& sha1) {
    std::error_code ec;
    return fs::exists(p, ec) && fs::file_size(p, ec) == size && file_sha1(p) == sha1;
}

// A cut file is exactly the first new_size bytes of its backup copy.
bool is_cut_of(const fs::path& file, const fs::path& copy, std::uint64_t new_size) {
    std::error_code ec;
    if (!fs::exists(file, ec) || !fs::exists(copy, ec) || fs::file_size(file, ec) != new_size ||
        fs::file_size(copy, ec) < new_size) {
        return false;
    }
    const MappedFile a(file), b(copy);
    return std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin());
}

// `just_hashed`: the journal's SHA-1s were taken a moment ago under our lock
// (a fresh apply), so the files need not be hashed again; a resumed apply
// checks everything, as a server may have run in between.
void run_steps(const fs::path& backup_dir, Journal& j, bool just_hashed) {
    for (const JournalStep& s : j.steps) {
        const fs::path copy = backup_dir / s.backup;
        std::error_code ec;
        if (s.step.kind == FileStep::Kind::MoveAside) {
            if (!fs::exists(s.step.file, ec)) continue;  // moved already
            if (!just_hashed && matches(copy, s.size, s.sha1) && matches(s.step.file, s.size, s.sha1)) {
                // A move across file systems stopped after its durable copy: finish it.
                mutation_point("unlink");
                fs::remove(s.step.file);
                fsync_dir(s.step.file.parent_path());
                continue;
            }
            if (fs::exists(copy, ec)) {
                // Never over the copy: the file at the old name is a new one.
                throw std::runtime_error(fmt::format("{} exists again beside its moved-aside copy {}; not moving it",
                                                     s.step.file.string(), copy.string()));
            }
            if (!just_hashed && !matches(s.step.file, s.size, s.sha1)) {
                throw std::runtime_error(fmt::format("{} changed since the plan was made; not moving it", s.step.file.string()));
            }
            move_durably(s.step.file, copy);
            continue;
        }
        if (!just_hashed && is_cut_of(s.step.file, copy, s.step.new_size) && matches(copy, s.size, s.sha1)) continue;  // cut already
        if (!just_hashed && !matches(s.step.file, s.size, s.sha1)) {
            throw std::runtime_error(fmt::format("{} changed since the plan was made; not cutting it", s.step.file.string()));
        }
        if (just_hashed || !matches(copy, s.size, s.sha1)) {
            if (fs::exists(copy, ec)) fs::remove(copy);
            copy_file_durably(s.step.file, copy);
        }
        truncate_durably(s.step.file, s.step.new_size);
    }
    j.state = "done";
    save(backup_dir, j);
}

}  // namespace

JournalState read_journal_state(const fs::path& backup_dir) {
    const Journal j = load(backup_dir);
    JournalState st{backup_dir, j.command, j.target, j.state, {}};
    for (const JournalStep& s : j.steps) st.files.push_back(s.step.file);
    return st;
}

fs::path apply_file_plan(const FilePlan& plan, const fs::path& root) {
    RootLock lock(root);
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    fs::path dir = root / fmt::format("zabra-backup-{:%Y%m%dT%H%M%SZ}-{}", now, plan.command);
    for (int n = 2; fs::exists(dir); ++n) {
        dir = root / fmt::format("zabra-backup-{:%Y%m%dT%H%M%SZ}-{}-{}", now, plan.command, n);
    }
    Journal j{plan.command, plan.target, "applying", {}};
    for (const FileStep& s : plan.steps) {
        JournalStep js;
        js.step = s;
        js.step.file = fs::absolute(s.file);  // so that --undo works from any working dir
        js.size = fs::file_size(s.file);
        js.sha1 = file_sha1(s.file);
        js.backup = s.file.filename().string();
        auto taken = [&](const std::string& name) {
            return std::any_of(j.steps.begin(), j.steps.end(), [&](const JournalStep& o) { return o.backup == name; });
        };
        for (int n = 2; taken(js.backup); ++n) js.backup = fmt::format("{}-{}", n, s.file.filename().string());
        j.steps.push_back(std::move(js));
    }
    mutation_point("mkdir");
    fs::create_directory(dir);
    fsync_dir(root);
    save(dir, j);
    run_steps(dir, j, true);
    return dir;
}

std::optional<JournalState> unfinished_journal(const fs::path& root) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        if (!e.is_directory() || !e.path().filename().string().starts_with("zabra-backup-")) continue;
        if (!fs::exists(e.path() / kJournal)) continue;
        const JournalState s = read_journal_state(e.path());
        if (s.state == "applying" || s.state == "undoing") return s;
    }
    return std::nullopt;
}

void resume_file_plan(const fs::path& backup_dir) {
    if (load(backup_dir).state == "undoing") {
        undo_file_plan(backup_dir);  // takes the lock itself
        return;
    }
    RootLock lock(backup_dir.parent_path());
    Journal j = load(backup_dir);
    run_steps(backup_dir, j, false);
}

void undo_file_plan(const fs::path& given) {
    std::error_code ec;
    const fs::path backup_dir = fs::weakly_canonical(given, ec);
    RootLock lock(backup_dir.parent_path());
    Journal j = load(backup_dir);
    if (j.state == "undone") return;
    // Nothing is touched unless every file is as the plan left it (or
    // already restored): a server may have written since.
    for (const JournalStep& s : j.steps) {
        const fs::path copy = backup_dir / s.backup;
        if (matches(s.step.file, s.size, s.sha1)) continue;
        if (s.step.kind == FileStep::Kind::MoveAside) {
            if (fs::exists(s.step.file, ec)) {
                throw std::runtime_error(fmt::format("{} was written again after the {}; not restoring over it",
                                                     s.step.file.string(), j.command));
            }
            if (!matches(copy, s.size, s.sha1)) {
                throw std::runtime_error(fmt::format("{}: the moved-aside {} is missing or changed", backup_dir.string(), s.backup));
            }
        } else if (!is_cut_of(s.step.file, copy, s.step.new_size) || !matches(copy, s.size, s.sha1)) {
            throw std::runtime_error(fmt::format("{} changed after the {} (or its backup copy did); not restoring over it",
                                                 s.step.file.string(), j.command));
        }
    }
    if (j.state != "undoing") {
        j.state = "undoing";
        save(backup_dir, j);
    }
    for (auto it = j.steps.rbegin(); it != j.steps.rend(); ++it) {
        const JournalStep& s = *it;
        const fs::path copy = backup_dir / s.backup;
        if (s.step.kind == FileStep::Kind::MoveAside) {
            if (fs::exists(copy, ec) && !fs::exists(s.step.file, ec)) move_durably(copy, s.step.file);
            continue;
        }
        if (matches(s.step.file, s.size, s.sha1)) continue;
        // Over the cut file: a whole copy under a temporary name, with the
        // cut file's owner and mode, renamed.
        struct stat st {};
        const bool have_st = ::stat(s.step.file.c_str(), &st) == 0;
        const fs::path tmp = s.step.file.parent_path() / (".zabra-undo." + s.step.file.filename().string());
        if (fs::exists(tmp, ec)) fs::remove(tmp);
        copy_file_durably(copy, tmp);
        if (have_st) {
            if (::chmod(tmp.c_str(), st.st_mode & 07777) != 0 || (::chown(tmp.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM)) {
                throw std::system_error(errno, std::generic_category(), "chmod/chown " + tmp.string());
            }
        }
        mutation_point("rename");
        fs::rename(tmp, s.step.file);
        fsync_dir(s.step.file.parent_path());
    }
    for (const JournalStep& s : j.steps) {
        if (!matches(s.step.file, s.size, s.sha1)) {
            throw std::runtime_error(fmt::format("{} does not match its original bytes after undo", s.step.file.string()));
        }
    }
    j.state = "undone";
    save(backup_dir, j);
}

}  // namespace zabra
