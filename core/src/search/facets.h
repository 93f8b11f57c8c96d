// Internal: facet counts. The matches' docids are collected during the
// match (DocidCollector, a Xapian::MatchSpy; nothing is read there) and
// counted against ValueColumns, each facet slot's values held per docid in
// memory (as Lucene's doc values): a few array reads per match. Xapian's
// ValueCountMatchSpy reads a value through each match's Document and counts
// it in a std::map, and walking the value streams per search is slower too;
// the columns are built once, by the first faceted search of a revision.
#pragma once

#include <cstddef>
#include <vector>

#include <xapian.h>

#include "search/value_columns.h"

#include "tongwen/engine.h"

namespace tongwen {

class DocidCollector : public Xapian::MatchSpy {
 public:
  explicit DocidCollector(std::vector<Xapian::docid>* out) : out_(out) {}
  void operator()(const Xapian::Document& doc, double) override { out_->push_back(doc.get_docid()); }

 private:
  std::vector<Xapian::docid>* out_;
};

// Adds the values of facet kFacets[facet] among `docs` and their counts to
// *out, then orders it most frequent first (equal counts by value) and keeps
// at most 50. A "language" value "en,zh" counts for both.
void CountFacet(const ValueColumns& columns, size_t facet, const std::vector<Xapian::docid>& docs,
                std::vector<FacetValue>* out_values);

}  // namespace tongwen
