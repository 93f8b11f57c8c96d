// The article model and the JSONL ingest format (see README "Ingest format").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tongwen/status.h"

namespace tongwen {

// One language version of an article.
struct Version {
  std::string tag;    // BCP 47 tag as given: "en", "zh-Hant", "zh-Hans", "zh", ...
  std::string lang;   // base language: "en" or "zh" (other tags are kept as given)
  std::string title;  // may be empty
  std::string body;   // may be empty; paragraphs separated by '\n'
};

struct Article {
  std::string id;
  std::string source, section, published, url, original_language;  // may be empty
  std::vector<Version> versions;                                   // in input order
  std::string json;  // the input object, re-serialised compactly (stored for display)

  // Base languages present ("en", "zh"), sorted, no duplicates.
  std::vector<std::string> Languages() const;
  const Version* Find(std::string_view tag) const;
};

// Fixed limits on fields that become Xapian terms (schema::kMaxTermBytes):
// a longer value rejects the line (README "Ingest format").
inline constexpr size_t kMaxIdBytes = 200;
inline constexpr size_t kMaxSourceBytes = 200;      // source, section
inline constexpr size_t kMaxLanguageTagBytes = 64;  // title/body tags, original_language

// Limits applied to each input line (documented in README "Ingest format").
struct IngestLimits {
  size_t max_line_bytes = 8 << 20;   // longer lines are rejected
  size_t max_field_bytes = 1 << 20;  // a title/body longer than this is truncated
  unsigned max_depth = 32;           // deeper JSON nesting is rejected
};

// Parses one JSONL line. On error returns kInvalidArgument with a reason
// (the caller adds FILE:LINE). `truncated` is set if a field was cut.
Result<Article> ParseArticle(std::string_view line, const IngestLimits& limits = {},
                             bool* truncated = nullptr);

// "zh-Hant" -> "zh", "en-GB" -> "en"; lower case.
std::string BaseLanguage(std::string_view tag);
// YYYY-MM-DD validation (real calendar dates, years 1000..9999).
bool IsValidDate(std::string_view d);
// Days since 1970-01-01 for a valid YYYY-MM-DD, or a valid year, month (1-12)
// and day.
long DayNumber(std::string_view d);
long DayNumber(int year, unsigned month, unsigned day);

}  // namespace tongwen
