#include "tongwen/article.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

#include "tongwen/analysis.h"

namespace tongwen {
namespace {

// ordered_json keeps the input's key order (versions stay in input order).
using json = nlohmann::ordered_json;

// Rejects nesting deeper than max_depth without building anything, so a
// hostile line cannot exhaust the stack or memory.
bool DepthOk(std::string_view s, unsigned max_depth) {
  unsigned depth = 0;
  bool in_str = false, esc = false;
  for (char c : s) {
    if (in_str) {
      if (esc)
        esc = false;
      else if (c == '\\')
        esc = true;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Truncates at a UTF-8 boundary.
void TruncateUtf8(std::string* s, size_t max) {
  if (s->size() <= max) return;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>((*s)[n]) & 0xC0) == 0x80) --n;
  s->resize(n);
}

Status OptionalString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string())
    return Status::InvalidArgument(std::string("field '") + key + "' must be a string or null, got " +
                                   it->type_name());
  *out = it->get<std::string>();
  if (out->find('\0') != std::string::npos)
    return Status::InvalidArgument(std::string("field '") + key + "' contains a NUL character");
  return Status::Ok();
}

}  // namespace

std::string BaseLanguage(std::string_view tag) {
  std::string t(tag.substr(0, tag.find_first_of("-_")));
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

bool IsValidDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (d[i] < '0' || d[i] > '9') return false;
  int y = std::stoi(std::string(d.substr(0, 4)));
  int m = std::stoi(std::string(d.substr(5, 2)));
  int day = std::stoi(std::string(d.substr(8, 2)));
  if (y < 1000 || m < 1 || m > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int dim = kDays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0);
  return day <= dim;
}

long DayNumber(std::string_view d) {
  return DayNumber(std::stoi(std::string(d.substr(0, 4))),
                   static_cast<unsigned>(std::stoi(std::string(d.substr(5, 2)))),
                   static_cast<unsigned>(std::stoi(std::string(d.substr(8, 2)))));
}

long DayNumber(int y, unsigned m, unsigned day) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

std::vector<std::string> Article::Languages() const {
  std::vector<std::string> out;
  for (const Version& v : versions)
    if (!v.title.empty() || !v.body.empty()) out.push_back(v.lang);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const Version* Article::Find(std::string_view tag) const {
  for (const Version& v : versions)
    if (v.tag == tag) return &v;
  return nullptr;
}

Result<Article> ParseArticle(std::string_view line, const IngestLimits& limits, bool* truncated) {
  if (truncated) *truncated = false;
  if (line.size() > limits.max_line_bytes)
    return Status::InvalidArgument("line is " + std::to_string(line.size()) + " bytes, over the limit of " +
                                   std::to_string(limits.max_line_bytes));
  if (!IsValidUtf8(line)) return Status::InvalidArgument("invalid UTF-8");
  if (!DepthOk(line, limits.max_depth))
    return Status::InvalidArgument("JSON nested deeper than " + std::to_string(limits.max_depth));
  json j;
  try {
    j = json::parse(line.begin(), line.end());
  } catch (const json::exception& e) {
    std::string msg = e.what();
    auto p = msg.find("parse error");
    return Status::InvalidArgument("invalid JSON: " + (p == std::string::npos ? msg : msg.substr(p)));
  }
  if (!j.is_object())
    return Status::InvalidArgument(std::string("expected a JSON object, got ") + j.type_name());
  Article a;
  auto id = j.find("id");
  if (id == j.end() || id->is_null()) return Status::InvalidArgument("missing 'id'");
  if (!id->is_string())
    return Status::InvalidArgument(std::string("'id' must be a string, got ") + id->type_name());
  a.id = id->get<std::string>();
  if (a.id.empty()) return Status::InvalidArgument("'id' is empty");
  if (a.id.size() > kMaxIdBytes)
    return Status::InvalidArgument("'id' is longer than " + std::to_string(kMaxIdBytes) + " bytes");
  for (char c : a.id)
    if (static_cast<unsigned char>(c) < 0x20)
      return Status::InvalidArgument("'id' contains a control character");
  for (const char* k : {"source", "section", "published", "url", "original_language"}) {
    std::string* dst = k[0] == 's'   ? (k[1] == 'o' ? &a.source : &a.section)
                       : k[0] == 'p' ? &a.published
                       : k[0] == 'u' ? &a.url
                                     : &a.original_language;
    Status s = OptionalString(j, k, dst);
    if (!s.ok()) return s;
  }
  for (auto [k, v, max] :
       {std::tuple{"source", &a.source, kMaxSourceBytes}, std::tuple{"section", &a.section, kMaxSourceBytes},
        std::tuple{"original_language", &a.original_language, kMaxLanguageTagBytes}})
    if (v->size() > max)
      return Status::InvalidArgument(std::string("field '") + k + "' is longer than " + std::to_string(max) +
                                     " bytes");
  if (!a.published.empty() && !IsValidDate(a.published))
    return Status::InvalidArgument("'published' must be YYYY-MM-DD, got \"" + a.published + "\"");
  a.original_language = a.original_language.empty() ? "" : BaseLanguage(a.original_language);
  for (const char* field : {"title", "body"}) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_object())
      return Status::InvalidArgument(std::string("'") + field +
                                     "' must be an object of language -> text, got " + it->type_name());
    for (auto& [tag, text] : it->items()) {
      if (text.is_null()) continue;
      if (!text.is_string())
        return Status::InvalidArgument(std::string("'") + field + "." + tag + "' must be a string, got " +
                                       text.type_name());
      if (tag.empty())
        return Status::InvalidArgument(std::string("'") + field + "' has an empty language tag");
      if (tag.size() > kMaxLanguageTagBytes)
        return Status::InvalidArgument(std::string("'") + field + "' has a language tag longer than " +
                                       std::to_string(kMaxLanguageTagBytes) + " bytes");
      std::string s = text.get<std::string>();
      if (s.find('\0') != std::string::npos)
        return Status::InvalidArgument(std::string("'") + field + "." + tag + "' contains a NUL character");
      if (s.size() > limits.max_field_bytes) {
        TruncateUtf8(&s, limits.max_field_bytes);
        text = s;  // the stored copy is truncated too
        if (truncated) *truncated = true;
      }
      Version* v = nullptr;
      for (Version& x : a.versions)
        if (x.tag == tag) v = &x;
      if (!v) {
        a.versions.push_back(Version{tag, BaseLanguage(tag), "", ""});
        v = &a.versions.back();
      }
      (field[0] == 't' ? v->title : v->body) = std::move(s);
    }
  }
  if (a.versions.empty()) return Status::InvalidArgument("article has no title or body text");
  a.json = j.dump();
  return a;
}

}  // namespace tongwen
