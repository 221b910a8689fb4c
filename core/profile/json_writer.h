// JsonWriter: the profiler's reports write JSON by hand with this (no library in the core): keys
// are fixed ASCII; String() escapes what JSON requires (quote, backslash, control characters).
// Tracks only whether the next value needs a comma. Not thread-safe; one per report.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace kmd::profile {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  void Key(std::string_view key) {
    Comma();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    first_ = true;
  }
  void Field(std::string_view key, uint64_t value) {
    Key(key);
    Number(value);
  }
  void Field(std::string_view key, double value) {
    Key(key);
    Double(value);
  }
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, bool value) {
    Key(key);
    Comma();
    out_ += value ? "true" : "false";
  }
  void Number(uint64_t value) {
    Comma();
    out_ += std::to_string(value);
  }
  void Double(double value) {
    Comma();
    char text[32];
    std::snprintf(text, sizeof(text), "%.6g", value);
    out_ += text;
  }
  void String(std::string_view text) {
    Comma();
    out_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
        out_ += esc;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  // "key":{"name":value,...} of numbers.
  void Object(std::string_view key,
              std::initializer_list<std::pair<std::string_view, uint64_t>> fields) {
    Key(key);
    Open('{');
    for (const auto& [name, value] : fields) Field(name, value);
    Close('}');
  }
  void Open(char bracket) {
    Comma();
    out_ += bracket;
    first_ = true;
  }
  void Close(char bracket) {
    out_ += bracket;
    first_ = false;
  }

 private:
  void Comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace kmd::profile
