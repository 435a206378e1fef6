// `zabra diff --json`: one object per changed node, then a summary.
#include "tools/diff/diff_printer.h"
#include "tools/common/format_util.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

std::string node_json(const zab::NodeView& n) {
    const auto& s = n.stat;
    std::string data = "null";
    if (n.data) data = is_valid_utf8(*n.data) ? json_string(*n.data) : "{\"base64\":" + json_string(base64(*n.data)) + "}";
    std::string acl = "null";
    if (n.acl) {
        acl = "[";
        for (std::size_t i = 0; i < n.acl->size(); ++i) {
            const auto& a = (*n.acl)[i];
            acl += fmt::format("{}{{\"perms\":{},\"scheme\":{},\"id\":{}}}", i ? "," : "", a.perms,
                               json_string(a.scheme), json_string(a.id));
        }
        acl += "]";
    }
    return fmt::format(
        "{{\"data\":{},\"acl\":{},\"czxid\":{},\"mzxid\":{},\"pzxid\":{},\"ctime\":{},\"mtime\":{},\"version\":{},"
        "\"cversion\":{},\"aversion\":{},\"ephemeral_owner\":{}}}",
        data, acl, json_string(hex_id(s.czxid)), json_string(hex_id(s.mzxid)), json_string(hex_id(s.pzxid)), s.ctime,
        s.mtime, s.version, s.cversion, s.aversion, json_string(hex_id(s.ephemeral_owner)));
}

class JsonDiffPrinter final : public DiffPrinter {
public:
    explicit JsonDiffPrinter(std::ostream& out) : m_out(out) {}

    void change(const zab::NodeChange& c) override {
        static constexpr const char* kKinds[] = {"added", "removed", "changed"};
        std::string fields = "[";
        for (std::size_t i = 0; i < c.fields.size(); ++i) fields += (i ? ",\"" : "\"") + c.fields[i] + "\"";
        fields += "]";
        m_out << fmt::format("{{\"record\":\"node\",\"change\":\"{}\",\"path\":{},\"fields\":{},\"before\":{},"
                             "\"after\":{}}}\n",
                             kKinds[static_cast<int>(c.kind)], json_string(c.path), fields,
                             c.before ? node_json(*c.before) : "null", c.after ? node_json(*c.after) : "null");
    }

    void summary(const std::string& a, const std::string& b, std::size_t added, std::size_t removed,
                 std::size_t changed) override {
        m_out << fmt::format("{{\"record\":\"summary\",\"from\":{},\"to\":{},\"added\":{},\"removed\":{},"
                             "\"changed\":{}}}\n",
                             json_string(a), json_string(b), added, removed, changed);
    }

private:
    std::ostream& m_out;
};

}  // namespace

std::unique_ptr<DiffPrinter> make_json_diff_printer(std::ostream& out) {
    return std::make_unique<JsonDiffPrinter>(out);
}

}  // namespace zabra::tools
