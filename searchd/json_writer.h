// A JSON writer that appends straight to a string; routes.cc writes the
// search and related responses with it: a page of hits of titles and
// snippets built as an nlohmann tree (a std::map node and a copy per
// member) and then dumped was a noticeable part of a plain search under
// load. Strings are escaped as RFC 8259 requires;
// invalid UTF-8 becomes U+FFFD, as nlohmann's error_handler_t::replace does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace searchd {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // REQUIRES: inside an object, and a value follows.
  JsonWriter& Key(std::string_view k);

  JsonWriter& String(std::string_view s);
  JsonWriter& StringOrNull(std::string_view s) { return s.empty() ? Null() : String(s); }
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Double(double v);  // shortest round-trip form; null if not finite
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // A value that is already JSON text.
  JsonWriter& Raw(std::string_view json);

  // Appends `s` escaped, without the quotes.
  static void AppendEscaped(std::string_view s, std::string* out);

 private:
  void BeforeValue();
  std::string* out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace searchd
