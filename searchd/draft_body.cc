#include "draft_body.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace searchd {
namespace {

using nlohmann::json;

bool Fail(BodyError* err, const char* code, const std::string& parameter, const std::string& message) {
  err->status = 400;
  err->code = code;
  err->parameter = parameter;
  err->message = parameter.empty() ? message : parameter + ": " + message;
  return false;
}

// The deepest nesting of arrays and objects in `body`, read outside strings;
// stops counting past `limit`. The parser would build a value that deep
// before any field is checked.
int Depth(std::string_view body, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

bool String(const json& v, const char* name, std::string* out, BodyError* err) {
  if (v.is_null()) return true;
  if (!v.is_string()) return Fail(err, "invalid_parameter", name, "must be a string");
  *out = v.get<std::string>();
  return true;
}

bool Uint(const json& v, const char* name, size_t* out, BodyError* err) {
  if (v.is_null()) return true;
  if (v.is_number_unsigned()) {
    *out = static_cast<size_t>(std::min<uint64_t>(v.get<uint64_t>(), uint64_t{1} << 40));
    return true;
  }
  if (v.is_number_integer()) return Fail(err, "invalid_parameter", name, "must not be negative");
  return Fail(err, "invalid_parameter", name, "must be an integer");
}

bool Sources(const json& v, std::vector<std::string>* out, BodyError* err) {
  if (v.is_null()) return true;
  std::vector<std::string> values;
  if (v.is_string()) {
    values.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const json& e : v) {
      if (!e.is_string())
        return Fail(err, "invalid_parameter", "source", "must be a string or an array of strings");
      values.push_back(e.get<std::string>());
    }
  } else {
    return Fail(err, "invalid_parameter", "source", "must be a string or an array of strings");
  }
  for (const std::string& s : values) {  // "a,b" as in /search; each value once
    size_t p = 0;
    while (p <= s.size()) {
      size_t q = s.find(',', p);
      if (q == std::string::npos) q = s.size();
      std::string one = s.substr(p, q - p);
      if (!one.empty() && std::find(out->begin(), out->end(), one) == out->end())
        out->push_back(std::move(one));
      p = q + 1;
    }
  }
  return true;
}

bool Enum(const json& v, const char* name, std::initializer_list<const char*> allowed, std::string* out,
          BodyError* err) {
  if (v.is_null()) return true;
  std::string list;
  for (const char* a : allowed) {
    if (v.is_string() && v.get<std::string>() == a) {
      *out = a;
      return true;
    }
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return Fail(err, "invalid_parameter", name, "must be one of: " + list);
}

bool Field(const std::string& key, const json& v, tongwen::DraftRequest* out, BodyError* err) {
  if (key == "text") return String(v, "text", &out->text, err);
  if (key == "title") return String(v, "title", &out->title, err);
  if (key == "limit") return Uint(v, "limit", &out->limit, err);
  if (key == "snippet_length") return Uint(v, "snippet_length", &out->snippet_length, err);
  if (key == "before") return String(v, "before", &out->before, err);
  if (key == "source") return Sources(v, &out->sources, err);
  if (key == "lang") {
    std::string lang;
    if (!Enum(v, "lang", {"auto", "en", "zh"}, &lang, err)) return false;
    out->lang = lang == "auto" ? "" : lang;
    return true;
  }
  if (key == "collapse") {
    std::string collapse;
    if (!Enum(v, "collapse", {"duplicates", "none"}, &collapse, err)) return false;
    out->collapse_duplicates = collapse == "duplicates";
    return true;
  }
  return Fail(err, "invalid_parameter", key.substr(0, 64), "unknown field");
}

}  // namespace

bool ParseDraftBody(std::string_view body, tongwen::DraftRequest* out, BodyError* err) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Fail(err, "bad_request", "", "the body is empty; send a JSON object with \"text\"");
  if (Depth(body, kMaxBodyDepth) > kMaxBodyDepth)
    return Fail(err, "bad_request", "",
                "JSON nested deeper than " + std::to_string(kMaxBodyDepth) + " levels");
  const json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return Fail(err, "bad_request", "", "the body is not valid JSON in UTF-8");
  if (!j.is_object()) return Fail(err, "bad_request", "", "the body must be a JSON object");
  *out = tongwen::DraftRequest();
  for (const auto& [key, v] : j.items())
    if (!Field(key, v, out, err)) return false;
  if (!j.contains("text") || j["text"].is_null())
    return Fail(err, "missing_parameter", "text", "is required");
  return true;
}

bool IsJsonContentType(std::string_view ct) {
  std::string s;
  for (char c : ct)
    if (c != ' ' && c != '\t') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "application/json" || s == "application/json;charset=utf-8" ||
         s == "application/json;charset=\"utf-8\"";
}

}  // namespace searchd
