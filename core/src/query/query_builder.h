// Internal: ParsedQuery -> Xapian::Query, with cross-language expansion.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

#include "query/phrase_query.h"
#include "query/relaxation.h"

#include "tongwen/analysis.h"
#include "tongwen/lexicon.h"
#include "tongwen/query.h"
#include "tongwen/search_types.h"

namespace tongwen {

// The query for a Han bigram: SYNONYM(XB<bigram>, <bigram> as a word).
Xapian::Query BigramQuery(const std::string& bigram);
// The query for an English gloss given as stems (ChineseToEnglish): Z<stem>
// for one word; for more, the one term XG<stem stem...> the indexer adds
// where the words stand side by side (schema::GlossTermOf).
Xapian::Query GlossQuery(const std::vector<std::string>& stems);

struct BuiltQuery {
  Xapian::Query all;  // the query in mode=all (source-word groups ANDed)
  Xapian::Query any;  // the same groups ORed (mode=any)
  // The fallback: plain words ORed, constraints (phrases, fields,
  // exclusions) kept; `relaxable`: whether it can match more than `all`.
  Xapian::Query relaxed;
  bool relaxable = false;
  // `all` with its top-level phrases as the AND of their words, and their
  // checks for PhraseDecider (search/phrase_decider.h); both empty if the query has none.
  // The two give the same matches.
  Xapian::Query all_unchecked;
  std::vector<PhraseCheck> phrase_checks;
  bool empty = true;  // no positive terms at all
  std::unordered_set<std::string> original_terms;
  std::unordered_set<std::string> translated_terms;
  // Every positive term, for highlighting (no field prefixes).
  std::unordered_set<std::string> highlight_terms;
  QueryInfo info;
};

// The dictionary and index lookups behind translations (EnglishToChinese,
// ChineseVariants) depend only on the dictionary and the index's term
// frequencies, so a searchd worker keeps them across searches while the
// database revision stays the same, rather than repeating them for every
// search's query building.
struct TranslationMemo {
  static constexpr size_t kMaxEntries = 20000;  // then it starts afresh
  // Empties the memo if `db` is at another revision than the one it was
  // filled from, or if it has grown past kMaxEntries.
  void Refresh(const Xapian::Database& db);

  std::unordered_map<std::string, std::vector<Translation>> e2z;
  std::unordered_map<std::string, std::vector<std::string>> variants;
  // HanTextQuery's query for a text, and the terms it highlights. (Queries
  // share their parts by reference counts that are not thread-safe: a memo
  // serves one thread.)
  struct HanText {
    Xapian::Query query;
    std::vector<std::string> highlight;
  };
  std::unordered_map<std::string, HanText> han_text;
  // Document frequencies of terms and of translations (QueryBuilder::Df,
  // TextDf), for the sides' highest weights.
  std::unordered_map<std::string, double> df;

 private:
  bool filled_ = false;
  Xapian::rev revision_ = 0;
};

class QueryBuilder {
 public:
  // REQUIRES: db, analyzer, lexicon and memo outlive the builder. lex may be
  // null. memo, if given, must have been Refresh()ed for db; without one the
  // lookups are remembered for this builder only. `positions`, if given,
  // returns the position store of db's revision (positions/position_store.h); it is called on
  // the first phrase, and may return null (phrases then read the database).
  QueryBuilder(const Xapian::Database& db, const Analyzer& an, const Lexicon* lex, const EngineOptions& opt,
               TranslationMemo* memo = nullptr, std::function<PositionStorePtr()> positions = nullptr)
      : db_(db),
        an_(an),
        lex_(lex),
        opt_(opt),
        memo_(memo ? memo : &own_memo_),
        positions_source_(std::move(positions)) {}
  QueryBuilder(const QueryBuilder&) = delete;
  QueryBuilder& operator=(const QueryBuilder&) = delete;

  BuiltQuery Build(const ParsedQuery& pq, const SearchRequest& req) const;

  // Han headword -> the query matching it as indexed (all its bigrams
  // required), for use inside OP_SYNONYM; its terms are added to *hl.
  // Remembered in the memo. Exposed for related-article expansion.
  Xapian::Query HanTextQuery(const std::string& folded_han, std::unordered_set<std::string>* hl) const;
  // A translation in the title field (a `title:` query's other side): every
  // word of a Chinese text, or every stem of a gloss, among the title terms
  // (title terms are words and stems; there are no title bigrams or gloss
  // terms). `df` gets an estimate of the documents it matches (its rarest
  // term's).
  Xapian::Query HanTitleQuery(const std::string& folded_han, std::unordered_set<std::string>* hl,
                              double* df) const;
  Xapian::Query GlossTitleQuery(const std::vector<std::string>& stems, double* df) const;
  // English -> Chinese candidates for a stem sequence, reranked by how often
  // the headword occurs in the index. Empty if none.
  std::vector<Translation> EnglishToChinese(const std::vector<std::string>& stems) const;
  // Chinese word -> other Chinese headwords sharing its main gloss (regional
  // variants), that occur in the index. At most 3.
  std::vector<std::string> ChineseVariants(const std::string& word) const;
  // The position store for the checks of a phrase of `phrase_length` words
  // (null: they read the database; and for one word, which needs none).
  PositionStorePtr PositionsFor(size_t phrase_length) const;
  // A joined pinyin word ("yingwen") split into 2-3 syllables; empty if it
  // does not split.
  std::vector<std::string> SplitSyllables(const std::string& word) const;
  // BM25's term weight (Xapian's BM25Weight idf, without a relevance set)
  // of a term or a synonym group with `df` matching documents.
  double WeightOfDf(double df) const;
  double TermWeight(const std::string& term) const { return WeightOfDf(Df(term)); }
  // The documents holding a term; and an estimate of those HanTextQuery(han)
  // matches: the word's, or if the index segmented it otherwise, its rarest
  // bigram's. Remembered in the memo.
  double Df(const std::string& term) const;
  double TextDf(const std::string& folded_han) const;
  // Chinese word -> English gloss stem sequences.
  std::vector<std::vector<std::string>> ChineseToEnglish(const std::string& word) const;

 private:
  struct Ctx;
  std::vector<Translation> ComputeEnglishToChinese(const std::vector<std::string>& stems) const;
  std::vector<std::string> ComputeChineseVariants(const std::string& word) const;
  Xapian::Query ComputeHanTextQuery(const std::string& han, std::unordered_set<std::string>* hl) const;
  void Collect(const std::vector<LexCandidate>& cands, std::vector<Translation>* out) const;
  // A query node built once per script side (see Sided in the .cc).
  struct Sided;
  Sided BuildNode(const QueryNode& n, bool top, Ctx& c) const;
  Sided BuildAnd(const QueryNode& n, bool top, Ctx& c) const;
  Sided BuildText(const QueryNode& n, bool top, Ctx& c) const;
  Sided BuildAndGroup(const std::vector<const QueryNode*>& texts, const std::string& field, bool require_all,
                      Ctx& c) const;
  Sided BuildPhrase(const QueryNode& n, bool conjunct, Ctx& c) const;

  const Xapian::Database& db_;
  const Analyzer& an_;
  const Lexicon* lex_;
  const EngineOptions& opt_;
  TranslationMemo* memo_;
  TranslationMemo own_memo_;
  std::function<PositionStorePtr()> positions_source_;
  mutable PositionStorePtr positions_;
  mutable bool positions_fetched_ = false;
};

}  // namespace tongwen
