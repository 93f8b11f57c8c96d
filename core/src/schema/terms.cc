#include "schema/terms.h"

#include <xapian.h>

namespace tongwen {

std::string ArticleIdOf(const Xapian::Document& d) {
  Xapian::TermIterator t = d.termlist_begin();
  t.skip_to(std::string(schema::kIdPrefix));
  if (t == d.termlist_end() || (*t).rfind(schema::kIdPrefix, 0) != 0) return {};
  return std::string(schema::IdOfTerm(*t));
}

}  // namespace tongwen
