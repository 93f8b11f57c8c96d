// Phrase queries over the position streams (positions/position_stream.h).
//
// A phrase is checked in two phases, as Lucene's PhraseQuery does with
// its two-phase iterator: the AND of its terms finds the candidates, and the
// document's stream confirms that the terms stand side by side:
//   FILTER(AND(terms), PhraseMatch)
// The phrase weighs what the AND of its terms weighs, as OP_PHRASE did.
#pragma once

#include <string>
#include <vector>

#include <xapian.h>

#include "positions/position_store.h"
#include "positions/position_stream.h"

namespace tongwen {

// The phrase query of `slots` (each: the terms any of which may stand at
// that position) in the position space of value slot `stream_slot`:
// FILTER(AND(terms), PhraseMatch). One slot is a plain term (or OR of
// terms); no slots is an empty query.
Xapian::Query PhraseQuery(const PositionStorePtr& store, Xapian::valueno stream_slot,
                          const std::vector<std::vector<std::string>>& slots);
// A phrase of words and stems (one term at each position), in the word
// position space.
Xapian::Query WordPhrase(const PositionStorePtr& store, const std::vector<std::string>& terms);
// The boolean query of the documents that hold the phrase (a posting source
// that reads their streams).
Xapian::Query PhraseMatch(const PositionStorePtr& store, Xapian::valueno stream_slot,
                          const std::vector<std::vector<std::string>>& slots);

// A phrase checked after the match instead of inside it. A phrase that the
// whole query requires (a top-level conjunct in mode=all) is searched as the
// AND of its terms, and PhraseDecider, a Xapian::MatchDecider, then checks
// the phrase: Xapian calls a decider only for a candidate whose weight can
// still enter the page (once it has counted check_at_least matches), where a
// posting source is asked about every candidate of the AND. For a phrase of
// common words most candidates are then never checked ("feel timely": 7.7
// ms, most of it reading streams). The matches, the weights and the ranking
// are the same; beyond check_at_least the lower bound of the total is the
// documents the decider accepted (Xapian's rule for deciders).
struct PhraseCheck {
  PositionStorePtr store;  // null: the stream is read from the document
  Xapian::valueno slot;
  PhraseHashes hashes;
};
// The check of a phrase of words and stems (one term at each position), as
// WordPhrase matches it; and the AND of those terms, its approximation.
PhraseCheck WordPhraseCheck(const PositionStorePtr& store, const std::vector<std::string>& terms);
// The same check where position i may also hold alternatives[i] (a phrase
// of Latin words, in an English version or in a Chinese one; schema.h).
PhraseCheck WordPhraseCheck(const PositionStorePtr& store, const std::vector<std::string>& terms,
                            const std::vector<std::string>& alternatives);
Xapian::Query WordPhraseTerms(const std::vector<std::string>& terms);

// The alternatives of one concept (translations, variants, a romanised
// name), searched as one OP_SYNONYM: their wdfs add up and BM25 sees them as
// one term.
//
// OP_SYNONYM asks each subquery for its wdf and its term statistics, which a
// posting source cannot give, so a phrase alternative cannot be PhraseQuery
// there. Inside the synonym it is the AND of its terms, and the synonym is
// filtered by OR(each other alternative, PhraseMatch of each phrase): the
// matches are exact. The weight differs from OP_PHRASE's in a document that
// matches: a phrase adds the wdfs of its terms (OP_PHRASE: the smallest), and
// adds them even where they are apart if another alternative matched.
// (AND_NOT(SYNONYM, documents matched through apart phrases only) reads
// fewer streams, but AND_NOT runs its right side ahead to the next such
// document, through all the documents that have a phrase's words, which
// made Chinese queries slower.)
class SynonymBuilder {
 public:
  void Add(Xapian::Query alternative);
  void AddPhrase(const PositionStorePtr& store, Xapian::valueno stream_slot,
                 const std::vector<std::vector<std::string>>& slots);
  bool empty() const { return alts_.empty(); }
  Xapian::Query Build() const;

 private:
  std::vector<Xapian::Query> alts_;   // the synonym's subqueries
  std::vector<Xapian::Query> exact_;  // each alternative's exact match set
  bool phrases_ = false;
};

}  // namespace tongwen
