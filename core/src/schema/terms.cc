#include "schema/terms.h"

#include <cinttypes>
#include <cstdio>

#include <xapian.h>

namespace tongwen {

std::string ExactTitleTerm(const Analyzer& analyzer, std::string_view text) {
  AnalyzeOptions ao;
  ao.bigrams = false;
  ao.han_words = false;
  // FNV-1a (64 bits) over the tokens, each followed by a separator byte
  // that no token holds: a stable hash, the same in every build.
  uint64_t h = 14695981039346656037ull;
  auto add = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  bool any = false;
  analyzer.Analyze(text, ao, [&](const Token& t) {
    for (char c : t.text) add(static_cast<unsigned char>(c));
    add(0x1f);
    any = true;
  });
  if (!any) return {};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, h);
  return schema::PrefixedTerm(schema::kExactTitlePrefix, hex);
}

std::string ArticleIdOf(const Xapian::Document& d) {
  Xapian::TermIterator t = d.termlist_begin();
  t.skip_to(std::string(schema::kIdPrefix));
  if (t == d.termlist_end() || (*t).rfind(schema::kIdPrefix, 0) != 0) return {};
  return std::string(schema::IdOfTerm(*t));
}

}  // namespace tongwen
