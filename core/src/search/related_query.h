// Internal: the "more like this" query that Searcher::Related (an article of
// the archive) and Searcher::RelatedToText (a draft, issue 25) share: from
// the chosen expansion terms to the query, its translations, and the run
// that turns its matches into hits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <xapian.h>

#include "query/expansion.h"

#include "tongwen/article.h"
#include "tongwen/engine.h"
#include "tongwen/status.h"

namespace tongwen {

class Searcher;

// How many expansion terms a related search takes (Lucene's and
// Elasticsearch's more-like-this take 25): every term costs match time, and
// bench/related-quality finds the other-language version of a story as well
// with 20 as with 30.
inline constexpr Xapian::termcount kRelatedTerms = 20;

// Keeps text terms (stems, Han words, Latin words of Chinese text) for
// "more like this"; drops boolean terms, bigrams, pinyin and very short or
// numeric stems.
class TextTermDecider : public Xapian::ExpandDecider {
 public:
  bool operator()(const std::string& t) const override;
};

struct RelatedQuery {
  Xapian::Query query;                 // the two script sides under OP_MAX
  std::unordered_set<std::string> hl;  // terms to highlight in snippets
  QueryInfo info;                      // the expansion terms and their translations
};

// The query of the expansion terms `eset` (best first) and, unless the
// source is `bilingual` (its terms are in both languages already), their
// translations through the dictionary.
RelatedQuery BuildRelatedQuery(const Searcher& s, const std::vector<ExpandedTerm>& eset, bool bilingual);

struct RelatedRun {
  size_t limit = 10;
  size_t snippet_length = kDefaultSnippetLength;
  bool collapse_duplicates = false;
  // Not empty: each hit's matched_via is "original" if it holds one of
  // these terms (sorted), "translation" otherwise.
  std::vector<std::string> own_terms;
};

// How a draft becomes an article (related_text.cc): each paragraph of
// `text` (lines) goes to the English or the Chinese version by the script it
// is mostly written in, and the title likewise.
Article DraftArticle(const std::string& title, const std::string& text);
bool IsChineseParagraph(std::string_view text);

// Runs `q` (the related query with its filters) and makes the hits.
Result<SearchResponse> RunRelated(const Searcher& s, const Xapian::Query& q, RelatedQuery&& rq,
                                  const RelatedRun& run);

}  // namespace tongwen
