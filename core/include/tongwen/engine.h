// The search engine: opens a database directory read-only and answers
// searches, article lookups, related-coverage and stats requests.
//
// Thread safety: every public method may be called from any thread. Each
// calling thread gets its own Xapian::Database (Xapian objects are not
// thread-safe); handles are checked for a new generation or new commits at
// most every `reopen_interval_ms`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tongwen/index_stats.h"
#include "tongwen/search_types.h"
#include "tongwen/status.h"

namespace tongwen {

struct Hit {
  std::string id;
  double score = 0;
  std::vector<std::pair<std::string, std::string>> titles;    // tag -> title (plain text)
  std::vector<std::pair<std::string, std::string>> snippets;  // tag -> HTML with <mark>
  std::string published, source, section, original_language, url;
  std::string matched_via;  // original | translation | both (empty for related)
  bool relaxed = false;     // matched only the relaxed (any-word) query, after the all-words hits
  uint64_t duplicates = 0;  // with collapse: other near-duplicates folded in
  unsigned docid = 0;       // internal: the Xapian document id
};

struct FacetValue {
  std::string value;
  uint64_t count;
};

struct SearchResponse {
  uint64_t total = 0;  // exact if total_exact, else a lower bound
  bool total_exact = true;
  uint64_t total_estimate = 0;  // estimated number of matches (== total if exact)
  double took_ms = 0;
  std::vector<Hit> hits;
  std::map<std::string, std::vector<FacetValue>> facets;
  QueryInfo query;
};

struct ArticleView {
  std::string json;                     // the stored article
  std::vector<std::string> duplicates;  // ids of near-duplicate articles
};

class Engine {
 public:
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Fails if the database cannot be opened: kUnavailable (no database in
  // db_dir yet), kIOError (unreadable), kInvalidArgument (other schema).
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& opt);

  // Validates req first (ValidateRequest): callers need not.
  Result<SearchResponse> Search(const SearchRequest& req) const;
  Result<ArticleView> GetArticle(const std::string& id) const;
  // Articles most similar to `id` (either language), optionally published
  // before a date. Same hit shape as Search. kInvalidArgument names the
  // parameter (limit, before, snippet_length) that is out of range.
  Result<SearchResponse> Related(const std::string& id, size_t limit, const std::string& before,
                                 size_t snippet_length = kDefaultSnippetLength) const;
  // Articles most similar to a draft that is not in the archive (issue 25):
  // its text analysed as an article's would be, its best expansion terms
  // chosen as for Related, and the same search, under the request's
  // filters. Hits carry matched_via (original: the hit holds some of the
  // draft's own terms; translation: only their translations). kInvalidArgument
  // names the field (text: empty, too long or without words; limit, before,
  // lang, source, snippet_length).
  Result<SearchResponse> RelatedToText(const DraftRequest& req) const;
  // What identifies the data searched now: the database's uuid and revision
  // (a rebuild makes a new uuid, each commit a new revision). Equal tags,
  // equal answers: feeds derive their ETag from it (issue 25).
  Result<std::string> RevisionTag() const;
  // Any failure is kUnavailable (its message has the detail).
  Result<IndexStats> Stats() const;
  uint64_t DocCount() const;
  // Memory held for phrase checks: the position streams of the newest
  // revision searched for a phrase (0 before the first phrase, and with
  // positions_in_memory off).
  uint64_t PositionMemoryBytes() const;
  const EngineOptions& options() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks ranges and formats; kInvalidArgument names the parameter. Search
// calls it; it is public for tests and for callers that check a request
// before they have an engine.
Status ValidateRequest(const SearchRequest& req, const EngineOptions& opt);

}  // namespace tongwen
