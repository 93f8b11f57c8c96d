#include "schema/terms.h"

#include <cinttypes>
#include <cstdio>

#include <xapian.h>

#include "util/fnv.h"

namespace tongwen {

std::string ExactTitleTerm(const Analyzer& analyzer, std::string_view text) {
  AnalyzeOptions ao;
  ao.bigrams = false;
  ao.han_words = false;
  // FNV-1a over the tokens, each followed by a separator byte that no
  // token holds.
  uint64_t h = kFnv1a64Basis;
  bool any = false;
  analyzer.Analyze(text, ao, [&](const Token& t) {
    h = Fnv1a64("\x1f", Fnv1a64(t.text, h));
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
