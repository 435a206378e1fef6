// A small JSON reader for zabra's own inputs (what-if plans, test data):
// RFC 8259 values; numbers kept as their text; depth and size bounded.
// Hand-written: no JSON library is among our dependencies.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zabra {

struct JsonValue {
    using Array = std::vector<JsonValue>;
    using Object = std::map<std::string, JsonValue>;
    struct Number {
        std::string text;
    };
    std::variant<std::nullptr_t, bool, Number, std::string, Array, Object> v;

    bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
    const Object* object() const { return std::get_if<Object>(&v); }
    const Array* array() const { return std::get_if<Array>(&v); }
    const std::string* string() const { return std::get_if<std::string>(&v); }
    const bool* boolean() const { return std::get_if<bool>(&v); }
    const Number* number() const { return std::get_if<Number>(&v); }
    // The member `key` of an object, or null.
    const JsonValue* get(const std::string& key) const;
};

// Throws FormatError (with the byte offset) on malformed input.
JsonValue parse_json(std::string_view text);

}  // namespace zabra
