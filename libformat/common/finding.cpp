#include "libformat/common/finding.h"

#include <algorithm>

namespace zabra {

const char* severity_name(Severity s) {
    switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "?";
}

Finding make_finding(Severity severity, std::string code, const std::filesystem::path& file, std::string message,
                     std::string action) {
    Finding f;
    f.severity = severity;
    f.code = std::move(code);
    f.file = file;
    f.message = std::move(message);
    f.action = std::move(action);
    return f;
}

std::size_t VerifyReport::count(Severity s) const {
    return static_cast<std::size_t>(
        std::count_if(findings.begin(), findings.end(), [s](const Finding& f) { return f.severity == s; }));
}

Finding& VerifyReport::add(Severity severity, std::string code, const std::filesystem::path& file, std::string message,
                           std::string action) {
    findings.push_back(make_finding(severity, std::move(code), file, std::move(message), std::move(action)));
    return findings.back();
}

}  // namespace zabra
