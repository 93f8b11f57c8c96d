#include "query/weighted_terms.h"

#include <algorithm>
#include <cmath>

#include "schema/weighting.h"

namespace tongwen {

WeightedTermsSource::WeightedTermsSource(std::vector<Term> terms) : terms_(std::move(terms)) {}

void WeightedTermsSource::init(const Xapian::Database& db) {
  cursors_.clear();
  prefix_.clear();
  did_ = 0;
  weight_ = 0;
  at_end_ = false;
  // PrenormalizedBM25 (weighting.h): Xapian's BM25Weight(kPrenormalizedK1,
  // 0, 1, 0, min_norm_length), times kPrenormalizedScale. With b = 0 the
  // length drops out: a term of frequency tf in N documents, at factor f,
  // weighs log(tw) * f * (k1' + 1) * wdf / (k1' + wdf), with k1' =
  // kPrenormalizedK1 and tw = (N - tf + 0.5) / (tf + 0.5), lifted to
  // tw / 2 + 1 below 2.
  const Xapian::doccount n = db.get_doccount();
  double none = 1;  // the chance that a document has none of the terms, if they were independent
  tf_min_ = tf_max_ = 0;
  for (const Term& t : terms_) {
    const Xapian::doccount tf = db.get_termfreq(t.name);
    if (tf == 0) continue;
    double tw = (n - tf + 0.5) / (tf + 0.5);
    if (tw < 2) tw = tw * 0.5 + 1;
    Cursor c;
    c.termweight = kPrenormalizedScale * (std::log(tw) * t.scale * (kPrenormalizedK1 + 1));
    const double wdf_max = db.get_wdf_upper_bound(t.name);
    c.max_score = c.termweight * (wdf_max / (kPrenormalizedK1 + wdf_max));
    c.it = db.postlist_begin(t.name);
    c.end = db.postlist_end(t.name);
    cursors_.push_back(std::move(c));
    tf_min_ = std::max(tf_min_, tf);
    tf_max_ = std::min<Xapian::doccount>(n, tf_max_ + tf);
    none *= 1 - static_cast<double>(tf) / std::max<Xapian::doccount>(n, 1);
  }
  tf_est_ = std::clamp(static_cast<Xapian::doccount>(n * (1 - none) + 0.5), tf_min_, tf_max_);
  std::sort(cursors_.begin(), cursors_.end(),
            [](const Cursor& a, const Cursor& b) { return a.max_score < b.max_score; });
  double sum = 0;
  for (const Cursor& c : cursors_) prefix_.push_back(sum += c.max_score);
  set_maxweight(sum);
  if (cursors_.empty()) at_end_ = true;
}

double WeightedTermsSource::Score(const Cursor& c) const {
  const double wdf = c.it.get_wdf();
  return c.termweight * (wdf / (kPrenormalizedK1 + wdf));
}

void WeightedTermsSource::Advance(Xapian::docid from, double min_wt) {
  const size_t n = cursors_.size();
  while (true) {
    // The non-essential terms: the first `e`, whose maximum scores add up
    // to less than min_wt.
    size_t e = 0;
    while (e < n && prefix_[e] < min_wt) ++e;
    if (e == n) {
      at_end_ = true;
      return;
    }
    Xapian::docid cand = 0;
    for (size_t i = e; i < n; ++i) {
      Cursor& c = cursors_[i];
      if (c.it != c.end && *c.it < from) c.it.skip_to(from);
      if (c.it != c.end && (cand == 0 || *c.it < cand)) cand = *c.it;
    }
    if (cand == 0) {
      at_end_ = true;
      return;
    }
    double score = 0;
    for (size_t i = e; i < n; ++i)
      if (cursors_[i].it != cursors_[i].end && *cursors_[i].it == cand) score += Score(cursors_[i]);
    // The non-essential terms, largest first, while they can still lift the
    // candidate to min_wt.
    bool possible = true;
    for (size_t i = e; i-- > 0;) {
      if (score + prefix_[i] < min_wt) {
        possible = false;
        break;
      }
      Cursor& c = cursors_[i];
      if (c.it != c.end && *c.it < cand) c.it.skip_to(cand);
      if (c.it != c.end && *c.it == cand) score += Score(c);
    }
    if (possible && score >= min_wt) {
      did_ = cand;
      weight_ = score;
      return;
    }
    from = cand + 1;
  }
}

void WeightedTermsSource::next(double min_wt) {
  if (!at_end_) Advance(did_ + 1, min_wt);
}

void WeightedTermsSource::skip_to(Xapian::docid did, double min_wt) {
  if (!at_end_ && did > did_) Advance(did, min_wt);
}

bool WeightedTermsSource::check(Xapian::docid did, double min_wt) {
  skip_to(did, min_wt);
  return true;
}

}  // namespace tongwen
