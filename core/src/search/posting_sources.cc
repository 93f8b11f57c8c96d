#include "search/posting_sources.h"

#include <algorithm>
#include <cmath>

namespace tongwen {

void DateWindowSource::init(const Xapian::Database&) {
  did_ = 0;
  count_ = 0;
  // The window's article count, for Xapian's estimates: two binary
  // searches, not a count over the column.
  const std::vector<uint32_t>& sorted = columns_->sorted_dates;
  count_ = static_cast<Xapian::doccount>(std::upper_bound(sorted.begin(), sorted.end(), hi_) -
                                         std::lower_bound(sorted.begin(), sorted.end(), lo_));
}

double RecencySource::get_weight() const {
  const double age = std::max(0.0, newest_ - columns_->days[did_]);
  return scale_ * std::pow(0.5, age / half_life_);
}

}  // namespace tongwen
