#include "store/stored_json.h"

#include <cstring>
#include <utility>

#include "tongwen/analysis.h"

namespace tongwen {
namespace {

constexpr int kMaxDepth = 64;  // the indexer rejects deeper input (IngestLimits::max_depth)

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

  // The next non-space character, not consumed ('\0' at the end).
  char Peek() {
    SkipSpace();
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }

  // A string; its decoded text goes to `out` unless null.
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    if (out) out->clear();
    const char* quote = nullptr;  // the next '"' at or after p (kept across escapes)
    for (;;) {
      const char* p = s_.data() + i_;
      const size_t left = s_.size() - i_;
      if (!quote || quote < p) quote = static_cast<const char*>(std::memchr(p, '"', left));
      if (!quote) return false;
      const char* esc = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(quote - p)));
      const char* stop = esc ? esc : quote;
      for (const char* c = p; c < stop; ++c)
        if (static_cast<unsigned char>(*c) < 0x20) return false;  // raw control characters are not JSON
      if (out) out->append(p, static_cast<size_t>(stop - p));
      i_ += static_cast<size_t>(stop - p) + 1;
      if (!esc) return true;
      if (!Escape(out)) return false;
    }
  }

  // Any value, discarded.
  bool Skip(int depth) {
    if (depth > kMaxDepth) return false;
    const char c = Peek();
    if (c == '"') return String(nullptr);
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      if (Consume(close)) return true;
      for (;;) {
        if (c == '{' && !(String(nullptr) && Consume(':'))) return false;
        if (!Skip(depth + 1)) return false;
        if (Consume(close)) return true;
        if (!Consume(',')) return false;
      }
    }
    if (Literal("true") || Literal("false") || Literal("null")) return true;
    return Number();
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  bool Number() {
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ > d;
    };
    if (!digits()) return false;
    if (i_ < s_.size() && s_[i_] == '.' && (++i_, !digits())) return false;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return i_ > start;
  }

  bool Hex4(uint32_t* v) {
    if (s_.size() - i_ < 4) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      *v <<= 4;
      if (c >= '0' && c <= '9')
        *v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        *v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        *v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  // After a backslash: one escape sequence.
  bool Escape(std::string* out) {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_++];
    char plain = 0;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        plain = c;
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(&cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a lone low surrogate
        if (cp >= 0xD800 && cp <= 0xDBFF) {              // a pair makes one code point
          uint32_t lo;
          if (!Literal("\\u") || !Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (out) AppendUtf8(static_cast<char32_t>(cp), out);
        return true;
      }
      default:
        return false;
    }
    if (out) out->push_back(plain);
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Reads `"title"` or `"body"`: an object of tag -> text. Values that are not
// strings are skipped; null and a missing object leave nothing.
bool ReadTexts(Reader& r, std::vector<std::pair<std::string, std::string>>* out) {
  if (r.Peek() != '{') return r.Skip(1);
  r.Consume('{');
  if (r.Consume('}')) return true;
  std::string tag;
  for (;;) {
    if (!r.String(&tag) || !r.Consume(':')) return false;
    if (r.Peek() == '"') {
      std::string text;
      if (!r.String(&text)) return false;
      out->emplace_back(tag, std::move(text));
    } else if (!r.Skip(2)) {
      return false;
    }
    if (r.Consume('}')) return true;
    if (!r.Consume(',')) return false;
  }
}

}  // namespace

bool ReadStoredHitFields(std::string_view json, StoredHitFields* out) {
  *out = StoredHitFields();
  Reader r(json);
  if (!r.Consume('{')) return false;
  std::vector<std::pair<std::string, std::string>> titles, bodies;
  std::string key;
  if (!r.Consume('}')) {
    for (;;) {
      if (!r.String(&key) || !r.Consume(':')) return false;
      std::string* field = key == "id"                  ? &out->id
                           : key == "published"         ? &out->published
                           : key == "source"            ? &out->source
                           : key == "section"           ? &out->section
                           : key == "url"               ? &out->url
                           : key == "original_language" ? &out->original_language
                                                        : nullptr;
      bool ok;
      if (field && r.Peek() == '"')
        ok = r.String(field);
      else if (key == "title" || key == "body")
        ok = ReadTexts(r, key == "title" ? &titles : &bodies);
      else
        ok = r.Skip(1);
      if (!ok) return false;
      if (r.Consume('}')) break;
      if (!r.Consume(',')) return false;
    }
  }
  if (!r.AtEnd()) return false;
  for (auto* list : {&titles, &bodies})
    for (auto& [tag, text] : *list) {
      StoredVersionText* v = nullptr;
      for (StoredVersionText& x : out->versions)
        if (x.tag == tag) v = &x;
      if (!v) {
        out->versions.push_back(StoredVersionText{tag, {}, {}});
        v = &out->versions.back();
      }
      (list == &titles ? v->title : v->body) = std::move(text);
    }
  return true;
}

}  // namespace tongwen
