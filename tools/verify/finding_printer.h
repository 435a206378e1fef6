// Presentation of verify findings; one implementation per output format.
#pragma once

#include "libformat/zab/verify.h"

#include <memory>
#include <ostream>

namespace zabra::tools {

class FindingPrinter {
public:
    virtual ~FindingPrinter() = default;
    virtual void finding(const zab::Finding& f) = 0;
    virtual void summary(const zab::VerifyReport& r) = 0;
};

std::unique_ptr<FindingPrinter> make_text_finding_printer(std::ostream& out, bool color);
std::unique_ptr<FindingPrinter> make_json_finding_printer(std::ostream& out);

}  // namespace zabra::tools
