// SearchWithSpelling: see did_you_mean.h.
#include "search/did_you_mean.h"

#include <string>
#include <utility>

#include "suggest/prefix.h"
#include "suggest/spelling.h"

namespace tongwen {

namespace {

// No hit matched every word: nothing at all, or only relaxed (any-word)
// hits. Beyond the first page only an empty result says so.
bool NothingMatchedAllWords(const SearchResponse& r, const SearchRequest& req) {
  if (r.total == 0) return true;
  return req.offset == 0 && r.query.relaxed && !r.hits.empty() && r.hits.front().relaxed;
}

// Searches `q` (req's query or its correction), with its last word
// expanded as a prefix when req asks for it (suggest/prefix.h); `*keep_from`
// gets the expanded word's offset (npos if none).
Result<SearchResponse> SearchQuery(const Searcher& searcher, const SearchRequest& req, const std::string& q,
                                   size_t* keep_from) {
  SearchRequest r = req;
  r.q = q;
  PrefixExpansion px;
  if (req.prefix == SearchRequest::Prefix::kLast) px = ExpandLastWord(searcher.db(), q);
  if (!px.word.empty()) r.q = px.query;
  *keep_from = px.word.empty() ? std::string::npos : px.begin;
  Result<SearchResponse> resp = searcher.Search(r);
  if (resp.ok() && !px.word.empty()) {
    resp->query.prefix_word = std::move(px.word);
    resp->query.prefix_expanded = std::move(px.expanded);
  }
  return resp;
}

}  // namespace

Result<SearchResponse> SearchWithSpelling(const Searcher& searcher, const SearchRequest& req) {
  size_t keep_from = std::string::npos;
  Result<SearchResponse> typed = SearchQuery(searcher, req, req.q, &keep_from);
  if (!typed.ok()) return typed;
  std::string fix =
      SpellingCorrector(searcher.db(), searcher.options().lexicon).CorrectQuery(req.q, keep_from);
  if (fix.empty()) return typed;
  typed->query.suggestion = fix;
  if (!NothingMatchedAllWords(*typed, req)) return typed;
  Result<SearchResponse> corrected = SearchQuery(searcher, req, fix, &keep_from);
  if (!corrected.ok()) return corrected;
  if (NothingMatchedAllWords(*corrected, req)) return typed;
  corrected->query.suggestion = std::move(fix);
  corrected->query.corrected = true;
  return corrected;
}

}  // namespace tongwen
