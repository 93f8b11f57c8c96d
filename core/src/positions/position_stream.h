// Word positions without Xapian's position table: the position streams.
//
// Glass stores the positions of each (term, document) pair as a B-tree entry
// of its own, about 17 bytes however short the list: half of the index and
// a large part of the indexing time.
// Instead, each document keeps its positions in one value per position space
// (schema::kSlotWordPositions, kSlotPinyinPositions): the sequence of its
// positional terms as 16-bit hashes, about 2 bytes per word.
//
// Phrases are checked against the streams (query/phrase_query.h).
//
// Hashes can collide: a document that has every term of the phrase, though
// not side by side, matches if a collision completes the sequence. With 16
// bits that is a chance of about occurrences-of-the-first-term / 65,536 per
// candidate document.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tongwen {

// The hash under which a positional term is stored (FNV-1a, folded to 16 bits).
uint16_t PositionHash(std::string_view term);

// Collects one document's positional terms in one position space, in
// increasing position order, and encodes them as a stream:
//   run*     run := varint(first position - end of the previous run)
//                   varint(length) (2-byte little-endian hash){length}
// where a run is a stretch of two or more consecutive positions: a single
// position holds no phrase and is left out (in the pinyin space, romanised
// characters standing alone are a large part of the stream). A field gap
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

}  // namespace tongwen
