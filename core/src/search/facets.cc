#include "search/facets.h"

#include <algorithm>
#include <string>

namespace tongwen {

void CountFacet(const ValueColumns& columns, size_t facet, const std::vector<Xapian::docid>& docs,
                std::vector<FacetValue>* out_values) {
  std::vector<FacetValue>& out = *out_values;
  const bool language = kFacets[facet].name == "language";
  const std::vector<uint32_t>& ids = columns.ids[facet];
  const std::vector<std::string>& values = columns.values[facet];
  std::vector<uint64_t> counts(values.size() + 1, 0);
  for (Xapian::docid d : docs)
    if (d < ids.size()) ++counts[ids[d]];
  for (size_t i = 1; i < counts.size(); ++i) {
    if (!counts[i]) continue;
    const std::string& v = values[i - 1];
    const uint64_t n = counts[i];
    if (!language) {
      out.push_back(FacetValue{v, n});
      continue;
    }
    // "en,zh" counts for both.
    size_t p = 0;
    while (p <= v.size()) {
      size_t q = v.find(',', p);
      if (q == std::string::npos) q = v.size();
      std::string one = v.substr(p, q - p);
      auto it = std::find_if(out.begin(), out.end(), [&](const FacetValue& f) { return f.value == one; });
      if (it == out.end())
        out.push_back(FacetValue{one, n});
      else
        it->count += n;
      p = q + 1;
    }
  }
  // Most frequent first; equal counts by value, so the order is stable.
  std::sort(out.begin(), out.end(), [](const FacetValue& a, const FacetValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
  if (out.size() > 50) out.resize(50);
}

}  // namespace tongwen
