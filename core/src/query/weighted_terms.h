// Internal: a weighted OR of many terms as one posting source, with MaxScore.
//
// A related search ORs an article's 20 expansion terms, each scaled by its
// expansion weight. Xapian 1.4 matches an OR as a tree of two-way OR
// postlists, and walking that tree (next, check and get_weight at each
// level) was much of a related search's time. This source
// scores the same sum (each term as PrenormalizedBM25 scores it, times its
// scale) over one array of posting iterators, and skips with MaxScore
// (Turtle and Flood): given the weight a match needs, the terms whose
// maximum scores add up to less (the non-essential ones) cannot make a
// match alone, so candidates come from the other terms only, and a
// non-essential term is read (skip_to) only while it can still lift a
// candidate over the bound.
//
// The weights equal Xapian's OR of OP_SCALE_WEIGHT(term, scale) over
// PrenormalizedBM25 up to the order of the additions. It must be used at
// factor 1 (not under OP_SCALE_WEIGHT), as Xapian passes the bound
// unscaled.
#pragma once

#include <string>
#include <vector>

#include <xapian.h>

namespace tongwen {

class WeightedTermsSource : public Xapian::PostingSource {
 public:
  struct Term {
    std::string name;
    double scale;
  };
  explicit WeightedTermsSource(std::vector<Term> terms);

  void init(const Xapian::Database& db) override;
  void next(double min_wt) override;
  void skip_to(Xapian::docid did, double min_wt) override;
  bool check(Xapian::docid did, double min_wt) override;
  bool at_end() const override { return at_end_; }
  Xapian::docid get_docid() const override { return did_; }
  double get_weight() const override { return weight_; }
  Xapian::doccount get_termfreq_min() const override { return tf_min_; }
  Xapian::doccount get_termfreq_est() const override { return tf_est_; }
  Xapian::doccount get_termfreq_max() const override { return tf_max_; }
  WeightedTermsSource* clone() const override { return new WeightedTermsSource(terms_); }
  std::string name() const override { return "tongwen::WeightedTermsSource"; }

 private:
  struct Cursor {
    Xapian::PostingIterator it, end;
    double termweight;  // PrenormalizedBM25's weight for wdf w is termweight * w / (kPrenormalizedK1 + w)
    double max_score;
    Xapian::docid did() const { return it == end ? 0 : *it; }
  };
  // Moves to the first document at or after `from` whose weight may reach
  // min_wt.
  void Advance(Xapian::docid from, double min_wt);
  double Score(const Cursor& c) const;

  const std::vector<Term> terms_;
  std::vector<Cursor> cursors_;  // by max_score, ascending
  std::vector<double> prefix_;   // prefix_[i]: the max_scores of cursors_[0..i] added
  Xapian::docid did_ = 0;
  double weight_ = 0;
  bool at_end_ = false;
  Xapian::doccount tf_min_ = 0, tf_est_ = 0, tf_max_ = 0;
};

}  // namespace tongwen
