// Presentation of `zabra diff`; one implementation per output format.
#pragma once

#include "libformat/zab/tree_diff.h"

#include <memory>
#include <ostream>

namespace zabra::tools {

class DiffPrinter {
public:
    virtual ~DiffPrinter() = default;
    virtual void change(const zab::NodeChange& c) = 0;
    virtual void summary(const std::string& a, const std::string& b, std::size_t added, std::size_t removed,
                         std::size_t changed) = 0;
};

std::unique_ptr<DiffPrinter> make_text_diff_printer(std::ostream& out);
std::unique_ptr<DiffPrinter> make_json_diff_printer(std::ostream& out);

}  // namespace zabra::tools
