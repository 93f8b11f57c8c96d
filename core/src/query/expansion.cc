#include "query/expansion.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "schema/schema.h"

namespace tongwen {

std::vector<Xapian::doccount> TermFreqCache::Get(const Xapian::Database& db,
                                                 const std::vector<std::string>& terms) {
  std::vector<Xapian::doccount> out(terms.size(), 0);
  std::vector<size_t> missing;
  {
    std::shared_lock<std::shared_mutex> lk(mu_);
    for (size_t i = 0; i < terms.size(); ++i) {
      auto it = freqs_.find(terms[i]);
      if (it == freqs_.end())
        missing.push_back(i);
      else
        out[i] = it->second;
    }
  }
  if (missing.empty()) return out;
  // Looked up outside the lock; two threads may both look a term up.
  for (size_t i : missing) out[i] = db.get_termfreq(terms[i]);
  std::unique_lock<std::shared_mutex> lk(mu_);
  for (size_t i : missing) {
    if (freqs_.size() >= max_terms_) break;
    freqs_.emplace(terms[i], out[i]);
  }
  return out;
}

size_t TermFreqCache::size() const {
  std::shared_lock<std::shared_mutex> lk(mu_);
  return freqs_.size();
}

namespace {

// A document's terms the decider keeps, and its length (the sum of all its
// wdfs, which is what glass stores as the length).
struct Candidates {
  std::vector<std::string> terms;
  std::vector<Xapian::termcount> wdfs;
  Xapian::termcount doclen = 0;
};
Candidates Collect(Xapian::TermIterator t, const Xapian::TermIterator& end,
                   const Xapian::ExpandDecider& decider) {
  Candidates c;
  for (; t != end; ++t) {
    const Xapian::termcount wdf = t.get_wdf();
    c.doclen += wdf;
    std::string term = *t;
    if (!decider(term)) continue;
    c.terms.push_back(std::move(term));
    c.wdfs.push_back(wdf);
  }
  return c;
}

// The expansion weights of a document's terms, as get_eset computes them
// for an RSet of that document. `in_db`: the document is in `db` (its terms'
// frequencies count it); otherwise it is weighed as if it had been added
// (one more document, one more for each of its terms).
std::vector<ExpandedTerm> Select(const Xapian::Database& db, std::vector<std::string> terms,
                                 const std::vector<Xapian::termcount>& wdfs, Xapian::termcount doclen,
                                 size_t max_terms, TermFreqCache* cache, bool in_db) {
  std::vector<Xapian::doccount> freqs = cache->Get(db, terms);
  Xapian::doccount dbsize = db.get_doccount();
  if (!in_db) {
    ++dbsize;
    for (Xapian::doccount& f : freqs) ++f;
  }
  const Xapian::doclength avlen = db.get_doccount() ? db.get_avlength() : doclen;
  // Xapian 1.4's ExpandStats::accumulate and TradEWeight::get_weight for an
  // RSet of one document (rsize = rtermfreq = 1), operation for operation,
  // so that the weights are the same doubles.
  const double k = schema::kWdfScale;
  // The selection is Xapian's too, ties included: terms in term order, a
  // term kept if it weighs more than the worst of a full list (so of equal
  // weights the smaller term stays), the worst dropped from a heap ordered
  // by weight, then by term descending, which is also the final order.
  auto before = [](const ExpandedTerm& a, const ExpandedTerm& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    return a.term > b.term;
  };
  std::vector<ExpandedTerm> out;
  double min_weight = 0;  // get_eset's default minimum
  bool heap = false;
  for (size_t i = 0; i < terms.size(); ++i) {
    const Xapian::termcount wdf = wdfs[i] ? wdfs[i] : 1;  // as Xapian: a boolean term counts once
    const double multiplier = 0.0 + (k + 1) * wdf / (k * doclen / avlen + wdf);
    const Xapian::doccount rsize = 1, rtermfreq = 1;
    const double reldocs_without_term = rsize - rtermfreq;
    const double num = (rtermfreq + 0.5) * (dbsize - freqs[i] - reldocs_without_term + 0.5);
    const double denom = (freqs[i] - rtermfreq + 0.5) * (reldocs_without_term + 0.5);
    const double weight = multiplier * std::log(num / denom);
    if (weight <= min_weight) continue;
    out.push_back(ExpandedTerm{std::move(terms[i]), weight});
    if (out.size() <= max_terms) continue;
    if (!heap) {
      std::make_heap(out.begin(), out.end(), before);
      heap = true;
    } else {
      std::push_heap(out.begin(), out.end(), before);
    }
    std::pop_heap(out.begin(), out.end(), before);
    out.pop_back();
    min_weight = out.front().weight;
  }
  std::sort(out.begin(), out.end(), before);
  return out;
}

}  // namespace

std::vector<ExpandedTerm> ExpandDocument(const Xapian::Database& db, Xapian::docid did, size_t max_terms,
                                         const Xapian::ExpandDecider& decider, TermFreqCache* cache) {
  Candidates c = Collect(db.termlist_begin(did), db.termlist_end(did), decider);
  return Select(db, std::move(c.terms), c.wdfs, c.doclen, max_terms, cache, true);
}

std::vector<ExpandedTerm> ExpandDraft(const Xapian::Database& db, const Xapian::Document& draft,
                                      size_t max_terms, const Xapian::ExpandDecider& decider,
                                      TermFreqCache* cache) {
  Candidates c = Collect(draft.termlist_begin(), draft.termlist_end(), decider);
  return Select(db, std::move(c.terms), c.wdfs, c.doclen, max_terms, cache, false);
}

}  // namespace tongwen
