// Internal: ParsedQuery -> Xapian::Query, with cross-language expansion.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

#include "tongwen/analysis.h"
#include "tongwen/engine.h"
#include "tongwen/lexicon.h"
#include "tongwen/query.h"

namespace tongwen {

// The index term for an analysed token (no field prefix), per schema.h:
// TextTermPrefix(t) followed by t.text.
std::string TextTerm(const Token& t);
std::string_view TextTermPrefix(const Token& t);
// The query for a Han bigram: SYNONYM(XB<bigram>, <bigram> as a word).
Xapian::Query BigramQuery(const std::string& bigram);

struct BuiltQuery {
  Xapian::Query all;      // the query in mode=all (source-word groups ANDed)
  Xapian::Query any;      // the same groups ORed (mode=any)
  Xapian::Query relaxed;  // ORed, phrases as plain words: the fallback
  bool empty = true;      // no positive terms at all
  std::unordered_set<std::string> original_terms;
  std::unordered_set<std::string> translated_terms;
  // Every positive term, for highlighting (no field prefixes).
  std::unordered_set<std::string> highlight_terms;
  QueryInfo info;
};

class QueryBuilder {
 public:
  // REQUIRES: db, analyzer and lexicon outlive the builder. lex may be null.
  QueryBuilder(const Xapian::Database& db, const Analyzer& an, const Lexicon* lex, const EngineOptions& opt)
      : db_(db), an_(an), lex_(lex), opt_(opt) {}

  BuiltQuery Build(const ParsedQuery& pq, const SearchRequest& req) const;

  // Han headword -> the query matching it as indexed (all its bigrams
  // required), for use inside OP_SYNONYM. Exposed for related-article
  // expansion.
  Xapian::Query HanTextQuery(const std::string& folded_han, std::unordered_set<std::string>* hl) const;
  // English -> Chinese candidates for a stem sequence, reranked by how often
  // the headword occurs in the index. Empty if none.
  std::vector<Translation> EnglishToChinese(const std::vector<std::string>& stems) const;
  // Chinese word -> other Chinese headwords sharing its main gloss (regional
  // variants), that occur in the index. At most 3.
  std::vector<std::string> ChineseVariants(const std::string& word) const;
  // A joined pinyin word ("yingwen") split into 2-3 syllables; empty if it
  // does not split.
  std::vector<std::string> SplitSyllables(const std::string& word) const;
  // Chinese word -> English gloss stem sequences.
  std::vector<std::vector<std::string>> ChineseToEnglish(const std::string& word) const;

 private:
  struct Ctx;
  std::vector<Translation> ComputeEnglishToChinese(const std::vector<std::string>& stems) const;
  std::vector<std::string> ComputeChineseVariants(const std::string& word) const;
  void Collect(const std::vector<LexCandidate>& cands, std::vector<Translation>* out) const;
  Xapian::Query BuildNode(const QueryNode& n, bool top, Ctx& c) const;
  Xapian::Query BuildAndGroup(const std::vector<const QueryNode*>& texts, const std::string& field,
                              bool require_all, Ctx& c) const;
  Xapian::Query BuildPhrase(const QueryNode& n, Ctx& c) const;

  const Xapian::Database& db_;
  const Analyzer& an_;
  const Lexicon* lex_;
  const EngineOptions& opt_;
  // Per-search memo of the lookups above (a QueryBuilder lives for one search).
  mutable std::unordered_map<std::string, std::vector<Translation>> e2z_cache_;
  mutable std::unordered_map<std::string, std::vector<std::string>> variants_cache_;
};

}  // namespace tongwen
