// Prefix matching of the last word (issue 24, `prefix=last`): a query typed
// without a trailing space whose last word is an unfinished English word
// (kMinPrefixLetters or more ASCII letters, not in a phrase, not a field name
// or an excluded word) is searched with that word rewritten into the group
// (word OR completion ...) of the kMaxPrefixExpansions English stems of the
// index that begin with it and the most articles hold. The query builder
// then reads the group as it reads any typed OR (translations included).
// Han text is not expanded: a Han prefix already matches as words and
// bigrams.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

namespace tongwen {

inline constexpr size_t kMinPrefixLetters = 3;
inline constexpr size_t kMaxPrefixExpansions = 8;

struct PrefixExpansion {
  std::string word;                   // the last word as typed; empty: no expansion
  size_t begin = 0;                   // its byte offset in the query
  std::vector<std::string> expanded;  // the stems it was expanded to, most frequent first
  std::string query;                  // the rewritten query
};

// The expansion of `query`'s last word over `db`'s English stems; `word`
// is empty if the query ends in a space, its last word is not an
// unfinished English word, or no stem begins with it. Xapian errors are
// thrown.
PrefixExpansion ExpandLastWord(const Xapian::Database& db, std::string_view query);

}  // namespace tongwen
