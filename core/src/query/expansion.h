// Internal: "more like this" term selection from one document.
//
// ExpandDocument picks the terms Xapian's Enquire::get_eset picks for an
// RSet of that one document under the "trad" expansion scheme of
// schema/weighting.h (SetExpansionScheme), with the same weights and order. Xapian
// looks up each term's document frequency in the database (a B-tree
// lookup, often a block read) and its collection frequency too, for every
// term the decider keeps: much of a related search's time. Here the
// frequencies come from a TermFreqCache of the
// database revision, filled as terms are first seen, so a revision pays for
// each term once (the cache is exact: one revision's frequencies do not
// change).
#pragma once

#include <cstddef>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

namespace tongwen {

// The document frequencies of the terms of one database revision, as far as
// they have been asked for; shared by threads.
class TermFreqCache {
 public:
  explicit TermFreqCache(std::string revision_key, size_t max_terms = kMaxTerms)
      : key_(std::move(revision_key)), max_terms_(max_terms) {}
  const std::string& key() const { return key_; }
  // The frequency of each of `terms` (of the revision this cache is for),
  // looking up in `db` the ones not cached yet and caching them.
  std::vector<Xapian::doccount> Get(const Xapian::Database& db, const std::vector<std::string>& terms);
  size_t size() const;

  // A cache holds at most this many terms; past it, new terms are looked up
  // every time. An entry takes about 64 bytes (a short string, the count,
  // the hash node and its bucket): 64 MB at most, for each of the two
  // revisions the engine keeps.
  static constexpr size_t kMaxTerms = 1'000'000;

 private:
  const std::string key_;
  const size_t max_terms_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Xapian::doccount> freqs_;
};

struct ExpandedTerm {
  std::string term;
  double weight;
};

// The `max_terms` best expansion terms of document `did` that `decider`
// accepts, best first (equal weights in Xapian's order: the larger term
// first; at the cut the smaller term is kept), as
// Enquire::get_eset(max_terms, {did}, &decider) with SetExpansionScheme.
// `cache` must be for the revision `db` is at.
std::vector<ExpandedTerm> ExpandDocument(const Xapian::Database& db, Xapian::docid did, size_t max_terms,
                                         const Xapian::ExpandDecider& decider, TermFreqCache* cache);
// The same for a document that is not in `db` (a draft, issue 25), weighed as
// if it had been added to it: one more document, and one more for the
// frequency of each of its terms (so a term no article has weighs most, not
// NaN). Its length is the sum of its wdfs, as for a stored document.
std::vector<ExpandedTerm> ExpandDraft(const Xapian::Database& db, const Xapian::Document& draft,
                                      size_t max_terms, const Xapian::ExpandDecider& decider,
                                      TermFreqCache* cache);

}  // namespace tongwen
