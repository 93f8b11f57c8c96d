#include "query/phrase_query.h"

#include "schema/schema.h"

namespace tongwen {
namespace {

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

PhraseCheck WordPhraseCheck(const PositionStorePtr& store, const std::vector<std::string>& terms,
                            const std::vector<std::string>& alternatives) {
  PhraseCheck c = WordPhraseCheck(store, terms);
  for (size_t i = 0; i < c.hashes.size() && i < alternatives.size(); ++i)
    if (alternatives[i] != terms[i]) c.hashes[i].push_back(PositionHash(alternatives[i]));
  return c;
}

Xapian::Query WordPhraseTerms(const std::vector<std::string>& terms) {
  std::vector<std::vector<std::string>> slots;
  for (const std::string& t : terms) slots.push_back({t});
  return AndOfPositions(slots);
}

}  // namespace tongwen
