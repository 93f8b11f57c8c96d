#include "query/phrase_query.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "schema/schema.h"

namespace tongwen {
namespace {

void PutVarint(uint32_t x, std::string* out) {
  while (x >= 0x80) {
    out->push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out->push_back(static_cast<char>(x));
}

bool GetVarint(std::string_view s, size_t* i, uint32_t* x) {
  uint32_t v = 0;
  for (int shift = 0; shift < 35 && *i < s.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(s[(*i)++]);
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *x = v;
      return true;
    }
  }
  return false;
}

uint16_t HashAt(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8);
}

bool In(uint16_t h, const std::vector<uint16_t>& set) {
  return std::find(set.begin(), set.end(), h) != set.end();
}

// Whether the phrase's positions 1.. follow a match of position 0 at `p`.
bool RestFollows(const char* run, size_t p, const PhraseHashes& slots) {
  for (size_t k = 1; k < slots.size(); ++k)
    if (!In(HashAt(run + 2 * (p + k)), slots[k])) return false;
  return true;
}

// Whether a run of `len` >= slots.size() hashes holds the phrase. The scan
// for the first position's hashes is most of a phrase check; with SSE2 it
// compares 8 hashes at a time (the streams are little-endian, as x86 is).
bool RunHasPhrase(const char* run, size_t len, const PhraseHashes& slots) {
  const size_t last = len - slots.size();  // the last position a match can start at
  const std::vector<uint16_t>& first = slots[0];
  size_t p = 0;
#if defined(__SSE2__)
  if (!first.empty() && first.size() <= 4) {
    __m128i keys[4];
    for (size_t a = 0; a < first.size(); ++a) keys[a] = _mm_set1_epi16(static_cast<short>(first[a]));
    for (; p + 8 <= len && p <= last; p += 8) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(run + 2 * p));
      __m128i eq = _mm_cmpeq_epi16(v, keys[0]);
      for (size_t a = 1; a < first.size(); ++a) eq = _mm_or_si128(eq, _mm_cmpeq_epi16(v, keys[a]));
      for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(eq)); mask; mask &= mask - 1) {
        const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
        mask &= ~(1u << bit);  // each hash sets two mask bits; this clears the first, the loop the second
        const size_t q = p + bit / 2;
        if (q <= last && RestFollows(run, q, slots)) return true;
      }
    }
  }
#endif
  for (; p <= last; ++p)
    if (In(HashAt(run + 2 * p), first) && RestFollows(run, p, slots)) return true;
  return false;
}

// The documents that hold one phrase: those with a term of every position
// (postings, read forward) whose stream holds them side by side. A stream
// is read only for a document that has every term (checked here, or before
// by the AND this filters, whose terms Xapian usually checks first), as
// OP_PHRASE read positions only for those. In a FILTER Xapian asks check()
// about the candidates of the other subqueries; when this is the cheapest
// subquery (Xapian orders by estimate) it walks the postings of the
// position with the fewest documents.
class PhraseSource : public Xapian::PostingSource {
 public:
  // `checks_terms`: check() makes sure a candidate has the phrase's terms
  // before reading its stream. Not needed where the phrase's AND decides
  // (FILTER(AND(terms), this)): Xapian checks the terms first (estimates
  // below ours) or after, and a stream holds no phrase a document's terms
  // do not (but for hash collisions, which the AND then rejects).
  PhraseSource(PositionStorePtr store, Xapian::valueno slot, std::vector<std::vector<std::string>> terms,
               PhraseHashes hashes, bool checks_terms)
      : store_(std::move(store)),
        slot_(slot),
        terms_(std::move(terms)),
        hashes_(std::move(hashes)),
        checks_terms_(checks_terms) {}

  void init(const Xapian::Database& db) override {
    docs_ = db.get_doccount();
    if (!store_) stream_ = db.valuestream_begin(slot_);
    did_ = 0;
    valid_ = true;
    postings_.assign(terms_.size(), {});
    lead_ = 0;
    Xapian::doccount lead_freq = 0;
    for (size_t i = 0; i < terms_.size(); ++i) {
      Xapian::doccount f = 0;
      for (const std::string& t : terms_[i]) {
        f += db.get_termfreq(t);
        postings_[i].push_back(db.postlist_begin(t));
      }
      if (i == 0 || f < lead_freq) lead_ = i, lead_freq = f;
    }
  }
  // Xapian estimates a phrase at half the AND of its terms; in an AND this
  // source multiplies the estimate by est / N, so est is N / 2.
  Xapian::doccount get_termfreq_min() const override { return 0; }
  Xapian::doccount get_termfreq_est() const override { return docs_ / 2; }
  Xapian::doccount get_termfreq_max() const override { return docs_; }
  void next(double) override { Advance(did_ + 1); }
  void skip_to(Xapian::docid did, double) override {
    if (did > did_) Advance(did);
  }
  bool check(Xapian::docid did, double) override {
    if (did < did_ || (did == did_ && valid_)) return true;  // positioned at or past it already
    if (did > did_) {
      did_ = did;  // if not here: "indeterminate", next() goes on from here
      valid_ = HasPhrase(did, checks_terms_);
    }
    return valid_;
  }
  bool at_end() const override { return did_ == kEnd; }
  Xapian::docid get_docid() const override { return did_; }
  double get_weight() const override { return 0; }
  PhraseSource* clone() const override {
    return new PhraseSource(store_, slot_, terms_, hashes_, checks_terms_);
  }
  std::string name() const override { return "tongwen::PhraseSource"; }

 private:
  static constexpr Xapian::docid kEnd = ~Xapian::docid{0};

  // Moves to the first document from `from` on that holds the phrase.
  void Advance(Xapian::docid from) {
    valid_ = true;
    if (postings_.empty()) {  // no phrase: no document
      did_ = kEnd;
      return;
    }
    for (;;) {
      Xapian::docid next = kEnd;
      for (Xapian::PostingIterator& p : postings_[lead_]) {
        if (p == Xapian::PostingIterator()) continue;
        if (*p < from) p.skip_to(from);
        if (p != Xapian::PostingIterator() && *p < next) next = *p;
      }
      did_ = next;
      if (did_ == kEnd || HasPhrase(did_, true)) return;
      from = did_ + 1;
    }
  }
  // Whether a term of position i is in document `did` (postings only move forward).
  bool HasTermOf(size_t i, Xapian::docid did) {
    for (Xapian::PostingIterator& p : postings_[i]) {
      if (p == Xapian::PostingIterator()) continue;
      if (*p < did) p.skip_to(did);
      if (p != Xapian::PostingIterator() && *p == did) return true;
    }
    return false;
  }
  // `terms`: first make sure the document has a term of every position.
  bool HasPhrase(Xapian::docid did, bool terms) {
    if (store_) store_->Prefetch(slot_, did);
    for (size_t i = 0; terms && i < postings_.size(); ++i)
      if (!HasTermOf(i, did)) return false;
    if (store_) return StreamHasPhrase(store_->Get(slot_, did), hashes_);
    const Xapian::ValueIterator end;
    if (stream_ != end && stream_.get_docid() < did) stream_.skip_to(did);
    return stream_ != end && stream_.get_docid() == did && StreamHasPhrase(*stream_, hashes_);
  }

  const PositionStorePtr store_;
  const Xapian::valueno slot_;
  const std::vector<std::vector<std::string>> terms_;
  const PhraseHashes hashes_;
  const bool checks_terms_;
  Xapian::ValueIterator stream_;                                // without a store
  std::vector<std::vector<Xapian::PostingIterator>> postings_;  // per position, per alternative
  size_t lead_ = 0;                                             // the position with the fewest documents
  Xapian::docid did_ = 0;
  bool valid_ = true;  // false: did_ was check()ed and does not hold the phrase
  Xapian::doccount docs_ = 0;
};

// The AND of the phrase's positions (each: its term, or the OR of its
// alternatives); one position is just its query.
Xapian::Query AndOfPositions(const std::vector<std::vector<std::string>>& slots) {
  std::vector<Xapian::Query> parts;
  for (const std::vector<std::string>& alts : slots) {
    std::vector<Xapian::Query> qs(alts.begin(), alts.end());
    parts.push_back(qs.size() == 1 ? qs[0] : Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end()));
  }
  if (parts.size() == 1) return parts[0];
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

Xapian::Query MatchQuery(const PositionStorePtr& store, Xapian::valueno stream_slot,
                         const std::vector<std::vector<std::string>>& slots, bool checks_terms) {
  PhraseHashes hashes;
  for (const std::vector<std::string>& alts : slots) {
    hashes.emplace_back();
    for (const std::string& t : alts) hashes.back().push_back(PositionHash(t));
  }
  return Xapian::Query(
      (new PhraseSource(store, stream_slot, slots, std::move(hashes), checks_terms))->release());
}

}  // namespace

uint16_t PositionHash(std::string_view term) {
  uint32_t h = 2166136261u;
  for (unsigned char c : term) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<uint16_t>(h ^ (h >> 16));
}

void PositionStream::Add(uint32_t pos, std::string_view term) {
  if (!entries_.empty() && pos <= entries_.back().first) return;
  entries_.emplace_back(pos, PositionHash(term));
}

std::string PositionStream::Encode() const {
  std::string out;
  out.reserve(entries_.size() * 2 + 8);
  uint32_t prev_end = 0;
  for (size_t i = 0; i < entries_.size();) {
    size_t j = i + 1;
    while (j < entries_.size() && entries_[j].first == entries_[j - 1].first + 1) ++j;
    if (j - i < 2) {  // no phrase fits in one position
      i = j;
      continue;
    }
    PutVarint(entries_[i].first - prev_end, &out);
    PutVarint(static_cast<uint32_t>(j - i), &out);
    for (size_t k = i; k < j; ++k) {
      out.push_back(static_cast<char>(entries_[k].second & 0xff));
      out.push_back(static_cast<char>(entries_[k].second >> 8));
    }
    prev_end = entries_[j - 1].first;
    i = j;
  }
  return out;
}

bool StreamWellFormed(std::string_view stream) {
  size_t i = 0;
  while (i < stream.size()) {
    uint32_t gap = 0, len = 0;
    if (!GetVarint(stream, &i, &gap) || !GetVarint(stream, &i, &len)) return false;
    if (gap == 0 || len == 0 || len > (stream.size() - i) / 2) return false;
    i += size_t{len} * 2;
  }
  return true;
}

bool StreamHasPhrase(std::string_view stream, const PhraseHashes& slots) {
  if (slots.size() < 2) return false;  // a phrase has two positions or more
  const size_t n = slots.size();
  size_t i = 0;
  while (i < stream.size()) {
    uint32_t gap = 0, len = 0;
    if (!GetVarint(stream, &i, &gap) || !GetVarint(stream, &i, &len)) return false;
    if (len > (stream.size() - i) / 2) return false;
    const char* run = stream.data() + i;
    i += size_t{len} * 2;
    if (len >= n && RunHasPhrase(run, len, slots)) return true;
  }
  return false;
}

std::shared_ptr<const PositionStore> PositionStore::Load(const Xapian::Database& db) {
  constexpr size_t kMinChunk = size_t{64} << 10, kChunk = size_t{8} << 20;
  auto store = std::make_shared<PositionStore>();
  const size_t n = size_t{db.get_lastdocid()} + 1;
  for (Xapian::valueno slot : {schema::kSlotWordPositions, schema::kSlotPinyinPositions}) {
    Column& column = slot == schema::kSlotWordPositions ? store->words_ : store->pinyin_;
    column.streams.assign(n, std::string_view());
    size_t used = kChunk, size = kChunk;  // of the last chunk (none yet)
    for (Xapian::ValueIterator v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v) {
      if (v.get_docid() >= n) continue;
      const std::string value = *v;
      if (used + value.size() > size) {
        // Chunks grow with the column (64 KB, 128 KB, ... 8 MB): a small
        // database does not hold 8 MB.
        size = std::max(std::clamp(column.chunks.empty() ? 0 : 2 * size, kMinChunk, kChunk), value.size());
        column.chunks.push_back(std::make_unique<char[]>(size));
        store->memory_ += size;
        used = 0;
      }
      char* at = column.chunks.back().get() + used;
      std::memcpy(at, value.data(), value.size());
      column.streams[v.get_docid()] = std::string_view(at, value.size());
      used += value.size();
      store->bytes_ += value.size();
    }
    store->memory_ += column.streams.size() * sizeof(std::string_view);
  }
  return store;
}

const PositionStore::Column* PositionStore::ColumnOf(Xapian::valueno slot) const {
  return slot == schema::kSlotWordPositions     ? &words_
         : slot == schema::kSlotPinyinPositions ? &pinyin_
                                                : nullptr;
}

std::string_view PositionStore::Get(Xapian::valueno slot, Xapian::docid did) const {
  const Column* c = ColumnOf(slot);
  return c && did < c->streams.size() ? c->streams[did] : std::string_view();
}

void PositionStore::Prefetch(Xapian::valueno slot, Xapian::docid did) const {
  const std::string_view s = Get(slot, did);
  for (size_t i = 0; i < s.size() && i < 4096; i += 64) __builtin_prefetch(s.data() + i);
}

Xapian::Query PhraseQuery(const PositionStorePtr& store, Xapian::valueno stream_slot,
                          const std::vector<std::vector<std::string>>& slots) {
  if (slots.size() < 2) return slots.empty() ? Xapian::Query() : AndOfPositions(slots);
  return Xapian::Query(Xapian::Query::OP_FILTER, AndOfPositions(slots),
                       MatchQuery(store, stream_slot, slots, /*checks_terms=*/false));
}

Xapian::Query PhraseMatch(const PositionStorePtr& store, Xapian::valueno stream_slot,
                          const std::vector<std::vector<std::string>>& slots) {
  return MatchQuery(store, stream_slot, slots, /*checks_terms=*/true);
}

void SynonymBuilder::Add(Xapian::Query alternative) {
  exact_.push_back(alternative);
  alts_.push_back(std::move(alternative));
}

void SynonymBuilder::AddPhrase(const PositionStorePtr& store, Xapian::valueno stream_slot,
                               const std::vector<std::vector<std::string>>& slots) {
  if (slots.size() < 2) return Add(PhraseQuery(store, stream_slot, slots));
  alts_.push_back(AndOfPositions(slots));
  exact_.push_back(PhraseMatch(store, stream_slot, slots));
  phrases_ = true;
}

Xapian::Query SynonymBuilder::Build() const {
  Xapian::Query syn(Xapian::Query::OP_SYNONYM, alts_.begin(), alts_.end());
  if (!phrases_) return syn;
  return Xapian::Query(Xapian::Query::OP_FILTER, syn,
                       Xapian::Query(Xapian::Query::OP_OR, exact_.begin(), exact_.end()));
}

Xapian::Query WordPhrase(const PositionStorePtr& store, const std::vector<std::string>& terms) {
  std::vector<std::vector<std::string>> slots;
  for (const std::string& t : terms) slots.push_back({t});
  return PhraseQuery(store, schema::kSlotWordPositions, slots);
}

PhraseCheck WordPhraseCheck(const PositionStorePtr& store, const std::vector<std::string>& terms) {
  PhraseCheck c{store, schema::kSlotWordPositions, {}};
  for (const std::string& t : terms) c.hashes.push_back({PositionHash(t)});
  return c;
}

Xapian::Query WordPhraseTerms(const std::vector<std::string>& terms) {
  std::vector<std::vector<std::string>> slots;
  for (const std::string& t : terms) slots.push_back({t});
  return AndOfPositions(slots);
}

bool PhraseDecider::operator()(const Xapian::Document& doc) const {
  for (const PhraseCheck& c : checks_) {
    if (c.hashes.size() < 2) continue;  // one word: no order to check
    if (c.store) {
      if (!StreamHasPhrase(c.store->Get(c.slot, doc.get_docid()), c.hashes)) return false;
    } else if (!StreamHasPhrase(doc.get_value(c.slot), c.hashes)) {
      return false;
    }
  }
  ++accepted_;
  return true;
}

}  // namespace tongwen
