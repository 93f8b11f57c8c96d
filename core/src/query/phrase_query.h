// Phrases without Xapian's position table.
//
// Glass stores the positions of each (term, document) pair as a B-tree entry
// of its own, about 17 bytes however short the list. On the bulk corpus that
// was half of the index (790 of 1,550 MB) and a third of the indexing time.
// Instead, each document keeps its positions in one value per position space
// (schema::kSlotWordPositions, kSlotPinyinPositions): the sequence of its
// positional terms as 16-bit hashes, about 2 bytes per word.
//
// A phrase is then checked in two phases, as Lucene's PhraseQuery does with
// its two-phase iterator: the AND of its terms finds the candidates, and the
// document's stream confirms that the terms stand side by side:
//   FILTER(AND(terms), PhraseMatch)
// The phrase weighs what the AND of its terms weighs, as OP_PHRASE did.
//
// Hashes can collide: a document that has every term of the phrase, though
// not side by side, matches if a collision completes the sequence. With 16
// bits that is a chance of about occurrences-of-the-first-term / 65,536 per
// candidate document.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xapian.h>

namespace tongwen {

// The hash under which a positional term is stored (FNV-1a, folded to 16 bits).
uint16_t PositionHash(std::string_view term);

// Collects one document's positional terms in one position space, in
// increasing position order, and encodes them as a stream:
//   run*     run := varint(first position - end of the previous run)
//                   varint(length) (2-byte little-endian hash){length}
// where a run is a stretch of two or more consecutive positions: a single
// position holds no phrase and is left out (in the pinyin space, romanised
// characters standing alone are a third of the stream). A field gap
// (schema::kFieldGap) starts a new run, so no phrase crosses it.
class PositionStream {
 public:
  // A position not above the last one added is ignored: one term per position.
  void Add(uint32_t pos, std::string_view term);
  std::string Encode() const;  // empty if no run has two positions

 private:
  std::vector<std::pair<uint32_t, uint16_t>> entries_;
};

// Whether `stream` decodes to the end: each run's header complete, its
// hashes inside the stream, no empty run, and each run starting after the
// previous one (positions start at 1).
bool StreamWellFormed(std::string_view stream);

// The hashes that may stand at each position of a phrase.
using PhraseHashes = std::vector<std::vector<uint16_t>>;

// Whether `stream` (PositionStream::Encode) holds the phrase: consecutive
// positions p, p+1, ... whose hashes are among slots[0], slots[1], ....
// A phrase has two positions or more (a single word is no phrase: false).
// A malformed stream holds nothing.
bool StreamHasPhrase(std::string_view stream, const PhraseHashes& slots);

// One database revision's position streams, in memory. A phrase check that
// reads its candidate's stream from the database costs a B-tree block read,
// as one candidate's stream shares no block with the next one's, where
// Xapian's position table served a term's positions in consecutive
// documents from one block: "经济 发展" took 12 ms to check from the
// database, against 1.3 ms with OP_PHRASE. From memory a check is a scan of
// the stream. searchd loads one store per revision, on the first phrase
// (about 1.8 KB an article: 179 MB and ~0.2 s for the 100k bulk corpus).
class PositionStore {
 public:
  static std::shared_ptr<const PositionStore> Load(const Xapian::Database& db);
  // The stream of document `did` in `slot` (schema::kSlotWordPositions or
  // kSlotPinyinPositions); empty if it has none.
  std::string_view Get(Xapian::valueno slot, Xapian::docid did) const;
  // Starts loading that stream (its first 4 KB) into the CPU cache. A check
  // reads a stream that is not cached (candidates are far apart): asking
  // for all its cache lines at once overlaps their misses.
  void Prefetch(Xapian::valueno slot, Xapian::docid did) const;
  size_t bytes() const { return bytes_; }          // of the streams
  size_t memory_bytes() const { return memory_; }  // allocated: chunks and the docid index

 private:
  // The streams of one slot, by docid: pointers into large chunks, so that
  // finding a stream is one lookup in a small array (no std::string to
  // read first, which was a second cache miss).
  struct Column {
    std::vector<std::unique_ptr<char[]>> chunks;
    std::vector<std::string_view> streams;
  };
  const Column* ColumnOf(Xapian::valueno slot) const;
  Column words_, pinyin_;
  size_t bytes_ = 0, memory_ = 0;
};

// Where phrase checks read the streams: `store` if it is not null (it must
// be of the revision searched), else the database's values.
using PositionStorePtr = std::shared_ptr<const PositionStore>;

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
Xapian::Query WordPhraseTerms(const std::vector<std::string>& terms);

class PhraseDecider : public Xapian::MatchDecider {
 public:
  explicit PhraseDecider(std::vector<PhraseCheck> checks) : checks_(std::move(checks)) {}
  bool operator()(const Xapian::Document& doc) const override;
  // Documents accepted so far (it serves one match at a time; tests).
  Xapian::doccount accepted() const { return accepted_; }

 private:
  std::vector<PhraseCheck> checks_;
  mutable Xapian::doccount accepted_ = 0;
};

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
// document, through all the documents that have a phrase's words: Chinese
// queries were 15% slower in process.)
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
