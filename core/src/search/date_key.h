// Internal: the sort key of sort=date and -date (a Xapian::KeyMaker).
#pragma once

#include <memory>
#include <string>

#include <xapian.h>

#include "search/value_columns.h"

namespace tongwen {

// The date from the in-memory column, 4 bytes big-endian (empty for an
// undated article, which sorts first), so a date-sorted search reads no
// stored value per match.
class DateKey : public Xapian::KeyMaker {
 public:
  explicit DateKey(std::shared_ptr<const ValueColumns> columns) : columns_(std::move(columns)) {}
  std::string operator()(const Xapian::Document& doc) const override {
    const Xapian::docid d = doc.get_docid();
    const uint32_t ymd = d < columns_->dates.size() ? columns_->dates[d] : 0;
    if (!ymd) return std::string();
    const char key[4] = {static_cast<char>(ymd >> 24), static_cast<char>(ymd >> 16),
                         static_cast<char>(ymd >> 8), static_cast<char>(ymd)};
    return std::string(key, 4);
  }

 private:
  std::shared_ptr<const ValueColumns> columns_;
};

}  // namespace tongwen
