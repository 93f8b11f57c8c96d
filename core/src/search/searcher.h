// Internal: the read path behind the engine facade (tongwen/engine.h).
//
// An EngineState holds what an engine's threads share: its options, its
// analyzer and the state built once per database revision (value columns,
// term frequencies, the position store). A Searcher is one snapshot of the
// database for one request on the calling thread (as tantivy's Searcher):
// the thread's database handle at its revision, with that revision's state
// and this thread's translation memo and stored-article codec, each fetched
// on first use. Search (search.cc), Related (related.cc) and Article run on
// a Searcher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <xapian.h>

#include "positions/position_store.h"
#include "query/expansion.h"
#include "query/query_builder.h"
#include "search/position_cache.h"
#include "search/revision_cache.h"
#include "search/value_columns.h"

#include "tongwen/analysis.h"
#include "tongwen/engine.h"
#include "tongwen/status.h"

namespace tongwen {

class Snippeter;
class StoredCodec;

struct EngineState {
  explicit EngineState(const EngineOptions& o);
  EngineState(const EngineState&) = delete;
  EngineState& operator=(const EngineState&) = delete;

  const EngineOptions opt;
  const uint64_t id;  // tells this engine's thread-local state from another engine's
  const Analyzer analyzer;
  RevisionCache<const ValueColumns> columns;  // facets, dates
  RevisionCache<TermFreqCache> term_freqs;    // related articles' expansion (query/expansion.h)
  PositionCache positions;                    // phrase checks
};

// REQUIRES: `state` and `db` outlive the Searcher, which serves one thread.
class Searcher {
 public:
  Searcher(const EngineState& state, const Xapian::Database& db) : state_(state), db_(db) {}
  Searcher(const Searcher&) = delete;
  Searcher& operator=(const Searcher&) = delete;

  // REQUIRES: req was validated (ValidateRequest).
  Result<SearchResponse> Search(const SearchRequest& req) const;
  // REQUIRES: limit and before were validated (Engine::Related).
  Result<SearchResponse> Related(const std::string& id, size_t limit, const std::string& before,
                                 size_t snippet_length) const;
  // REQUIRES: req was validated (Engine::RelatedToText).
  Result<SearchResponse> RelatedToText(const DraftRequest& req) const;
  Result<ArticleView> Article(const std::string& id) const;

  // The revision's state.
  const Xapian::Database& db() const { return db_; }
  const EngineOptions& options() const { return state_.opt; }
  const Analyzer& analyzer() const { return state_.analyzer; }
  std::shared_ptr<const ValueColumns> Columns() const { return state_.columns.Get(db_); }
  std::shared_ptr<TermFreqCache> TermFreqs() const { return state_.term_freqs.Get(db_); }
  PositionStorePtr Positions() const { return state_.positions.Get(db_); }
  // This thread's translation memo for this engine, made fresh for the
  // revision.
  TranslationMemo& Memo() const;
  // This thread's codec of the stored articles (the database's dictionary),
  // read again when the database is another one (a rebuild).
  Result<const StoredCodec*> Codec() const;

  // Sets the query time limit (EngineOptions::query_time_limit_ms) on an
  // Enquire; every Enquire of a search or related request has it.
  void LimitTime(Xapian::Enquire* enquire) const;
  // Fills a hit from a match; `snippeter` (the request's terms) highlights.
  // A hit whose stored article cannot be read is an error (kUnavailable:
  // a handle that lost a table, as under EMFILE, reads it as empty), never
  // an empty hit (issue 28).
  Result<Hit> MakeHit(const StoredCodec& codec, const Xapian::MSetIterator& m, const Snippeter& snippeter,
              size_t snippet_length) const;

 private:
  const EngineState& state_;
  const Xapian::Database& db_;
};

}  // namespace tongwen
