// Search with "did you mean" (issue 24): a search whose query holds a
// misspelt word (suggest/spelling.h) carries the corrected query in
// QueryInfo::suggestion, and when the query as typed matched nothing with
// all its words (no hits, or only relaxed any-word ones) while the
// corrected query does, the corrected query's results instead, with
// QueryInfo::corrected set ("showing results for ..."). With
// SearchRequest::Prefix::kLast, the last word also matches as a prefix
// (suggest/prefix.h; QueryInfo::prefix_word and prefix_expanded), and is
// not corrected.
#pragma once

#include "search/searcher.h"

#include "tongwen/engine.h"
#include "tongwen/status.h"

namespace tongwen {

// REQUIRES: req was validated (ValidateRequest).
Result<SearchResponse> SearchWithSpelling(const Searcher& searcher, const SearchRequest& req);

}  // namespace tongwen
