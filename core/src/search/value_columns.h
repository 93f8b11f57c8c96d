// Internal: value slots held per docid in memory for one database revision
// (as Lucene's doc values), for facets, date filters, date sorting and the
// recency bonus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "schema/schema.h"

namespace tongwen {

// The facets a search may ask for, and their value slots; ValueColumns
// holds them in this order.
struct FacetDef {
  std::string_view name;
  Xapian::valueno slot;
};
inline constexpr FacetDef kFacets[] = {{"source", schema::kSlotSource},
                                       {"section", schema::kSlotSection},
                                       {"year", schema::kSlotYear},
                                       {"language", schema::kSlotLanguages}};

// The index of a facet in kFacets, or -1 if there is none of that name.
int FacetIndex(std::string_view name);

// The facet slots and the publication date of every document. Built from
// the value streams by the first search of a revision that needs them; 28
// bytes per document.
struct ValueColumns {
  // Per facet (kFacets order): the distinct values, and per docid the
  // 1-based index of its value (0 = none).
  std::vector<std::vector<std::string>> values;
  std::vector<std::vector<uint32_t>> ids;
  // Per docid the date as the number YYYYMMDD (0 = none or not an article),
  // and as days since 1970-01-01 (meaningful where the date is not 0).
  std::vector<uint32_t> dates;
  std::vector<int32_t> days;
  std::vector<uint32_t> sorted_dates;  // the non-zero dates, ascending (to count a window's articles)
};

// The columns of the revision `db` is at.
std::shared_ptr<const ValueColumns> BuildValueColumns(const Xapian::Database& db);

// YYYY-MM-DD -> the number YYYYMMDD, as ValueColumns::dates holds dates.
uint32_t DateNumber(const std::string& ymd);

}  // namespace tongwen
