// Internal: posting sources over the in-memory date column (ValueColumns).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <xapian.h>

#include "search/value_columns.h"

namespace tongwen {

// A posting list over the in-memory date column: the articles dated lo..hi
// (inclusive, YYYYMMDD numbers; undated articles never match). Xapian's value
// ranges and value-stream sources advance by reading and comparing the stored
// value of every article they pass: with a date filter that leaves few
// matches, that was most of a search's time. Here next, skip_to and check
// are array reads. As such it is a filter
// (weight 0); RecencySource adds a weight.
class DateWindowSource : public Xapian::PostingSource {
 public:
  DateWindowSource(std::shared_ptr<const ValueColumns> columns, uint32_t lo, uint32_t hi)
      : columns_(std::move(columns)), lo_(std::max<uint32_t>(lo, 1)), hi_(hi) {}
  void init(const Xapian::Database&) override;
  Xapian::doccount get_termfreq_min() const override { return count_; }
  Xapian::doccount get_termfreq_est() const override { return count_; }
  Xapian::doccount get_termfreq_max() const override { return count_; }
  void next(double) override { Advance(did_ + 1); }
  void skip_to(Xapian::docid did, double) override {
    if (did > did_) Advance(did);
  }
  bool check(Xapian::docid did, double) override {
    if (did <= did_) return true;  // positioned at or past it already
    did_ = did;                    // if not in the window: "indeterminate", next() goes on from here
    return did < columns_->dates.size() && In(columns_->dates[did]);
  }
  bool at_end() const override { return did_ >= columns_->dates.size(); }
  Xapian::docid get_docid() const override { return did_; }
  double get_weight() const override { return 0; }
  DateWindowSource* clone() const override { return new DateWindowSource(columns_, lo_, hi_); }
  std::string name() const override { return "tongwen::DateWindowSource"; }

 protected:
  const std::shared_ptr<const ValueColumns> columns_;
  Xapian::docid did_ = 0;

 private:
  bool In(uint32_t ymd) const { return ymd >= lo_ && ymd <= hi_; }
  void Advance(Xapian::docid from) {
    const std::vector<uint32_t>& d = columns_->dates;
    Xapian::docid i = from;
    while (i < d.size() && !In(d[i])) ++i;
    did_ = i;
  }

  const uint32_t lo_, hi_;
  Xapian::doccount count_ = 0;
};

// Adds a recency bonus to every dated article: weight = scale * 0.5^(age /
// half_life), where age is measured from `newest_day`.
class RecencySource : public DateWindowSource {
 public:
  RecencySource(std::shared_ptr<const ValueColumns> columns, double newest_day, double half_life,
                double scale)
      : DateWindowSource(std::move(columns), 1, UINT32_MAX),
        newest_(newest_day),
        half_life_(half_life),
        scale_(scale) {
    set_maxweight(scale);
  }
  double get_weight() const override;
  RecencySource* clone() const override { return new RecencySource(columns_, newest_, half_life_, scale_); }
  std::string name() const override { return "tongwen::RecencySource"; }

 private:
  double newest_, half_life_, scale_;
};

}  // namespace tongwen
