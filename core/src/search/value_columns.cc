#include "search/value_columns.h"

#include <algorithm>
#include <unordered_map>

#include "tongwen/article.h"

namespace tongwen {

namespace s = schema;

int FacetIndex(std::string_view name) {
  for (size_t i = 0; i < std::size(kFacets); ++i)
    if (kFacets[i].name == name) return static_cast<int>(i);
  return -1;
}

std::shared_ptr<const ValueColumns> BuildValueColumns(const Xapian::Database& db) {
  auto c = std::make_shared<ValueColumns>();
  const size_t n = size_t{db.get_lastdocid()} + 1;
  for (const FacetDef& f : kFacets) {
    const Xapian::valueno slot = f.slot;
    std::vector<std::string>& values = c->values.emplace_back();
    std::vector<uint32_t>& ids = c->ids.emplace_back(n, 0);
    std::unordered_map<std::string, uint32_t> index;
    for (Xapian::ValueIterator v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v) {
      const std::string value = *v;
      if (value.empty() || v.get_docid() >= n) continue;
      auto [it, added] = index.emplace(value, static_cast<uint32_t>(values.size() + 1));
      if (added) values.push_back(value);
      ids[v.get_docid()] = it->second;
    }
  }
  c->dates.assign(n, 0);
  for (Xapian::ValueIterator v = db.valuestream_begin(s::kSlotDate); v != db.valuestream_end(s::kSlotDate);
       ++v) {
    const std::string value = *v;  // YYYYMMDD
    if (value.size() != 8 || v.get_docid() >= n) continue;
    uint32_t ymd = 0;
    for (char ch : value) ymd = ymd * 10 + static_cast<uint32_t>(ch - '0');
    c->dates[v.get_docid()] = ymd;
  }
  c->days.assign(n, 0);
  for (size_t d = 0; d < n; ++d) {
    const uint32_t ymd = c->dates[d];
    if (!ymd) continue;
    c->sorted_dates.push_back(ymd);
    c->days[d] = static_cast<int32_t>(DayNumber(static_cast<int>(ymd / 10000), ymd / 100 % 100, ymd % 100));
  }
  std::sort(c->sorted_dates.begin(), c->sorted_dates.end());
  return c;
}

uint32_t DateNumber(const std::string& ymd) {  // YYYY-MM-DD -> YYYYMMDD
  return static_cast<uint32_t>(std::stoul(ymd.substr(0, 4) + ymd.substr(5, 2) + ymd.substr(8, 2)));
}

}  // namespace tongwen
