// `zabra diff` for people: + added, - removed, ~ changed with old -> new.
#include "tools/diff/diff_printer.h"
#include "tools/common/format_util.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

std::string data_text(const zab::Buffer& b) {
    if (!b) return "null";
    const std::string_view v = *b;
    return '"' + escape_text(v.substr(0, 64)) + (v.size() > 64 ? fmt::format("...\"({} bytes)", v.size()) : "\"");
}

std::string acl_list(const zab::AclList& a) {
    if (!a) return "?";
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
        if (i) out += ',';
        out += acl_text((*a)[i]);
    }
    return out + "]";
}

std::string value(const zab::NodeView& n, const std::string& field) {
    const auto& s = n.stat;
    if (field == "data") return data_text(n.data);
    if (field == "acl") return acl_list(n.acl);
    if (field == "czxid") return hex_id(s.czxid);
    if (field == "mzxid") return hex_id(s.mzxid);
    if (field == "pzxid") return hex_id(s.pzxid);
    if (field == "ctime") return iso_time(s.ctime, true);
    if (field == "mtime") return iso_time(s.mtime, true);
    if (field == "version") return std::to_string(s.version);
    if (field == "cversion") return std::to_string(s.cversion);
    if (field == "aversion") return std::to_string(s.aversion);
    return hex_id(s.ephemeral_owner);
}

class TextDiffPrinter final : public DiffPrinter {
public:
    explicit TextDiffPrinter(std::ostream& out) : m_out(out) {}

    void change(const zab::NodeChange& c) override {
        const std::string path = escape_text(c.path);
        switch (c.kind) {
        case zab::NodeChange::Kind::Added:
            m_out << fmt::format("+ {} data={} czxid={} owner={}\n", path, data_text(c.after->data),
                                 hex_id(c.after->stat.czxid), hex_id(c.after->stat.ephemeral_owner));
            break;
        case zab::NodeChange::Kind::Removed:
            m_out << fmt::format("- {} data={} mzxid={}\n", path, data_text(c.before->data),
                                 hex_id(c.before->stat.mzxid));
            break;
        case zab::NodeChange::Kind::Changed: {
            std::string line = "~ " + path;
            for (const auto& f : c.fields) {
                line += fmt::format(" {}: {} -> {};", f, value(*c.before, f), value(*c.after, f));
            }
            line.pop_back();
            m_out << line << '\n';
            break;
        }
        }
    }

    void summary(const std::string& a, const std::string& b, std::size_t added, std::size_t removed,
                 std::size_t changed) override {
        m_out << fmt::format("{} -> {}: {} added, {} removed, {} changed\n", escape_text(a), escape_text(b), added,
                             removed, changed);
    }

private:
    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<DiffPrinter> make_text_diff_printer(std::ostream& out) {
    return std::make_unique<TextDiffPrinter>(out);
}

}  // namespace zabra::tools
