// ExpandLastWord: see prefix.h.
#include "suggest/prefix.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "schema/schema.h"

namespace tongwen {

namespace {

bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
// Bytes that make the last letters part of something else: digits,
// apostrophes, other scripts, a field name's colon, an exclusion's minus.
bool JoinsWord(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '\'' || c == '_' || c == ':' || c == '-' || u >= 0x80;
}

// The English stems of the index that begin with `lower`, the most
// frequent first, at most kMaxPrefixExpansions.
std::vector<std::string> Completions(const Xapian::Database& db, const std::string& lower) {
  const std::string prefix = std::string(schema::kStemPrefix) + lower;
  std::vector<std::pair<Xapian::doccount, std::string>> found;
  for (Xapian::TermIterator t = db.allterms_begin(prefix); t != db.allterms_end(prefix); ++t) {
    std::string stem = (*t).substr(schema::kStemPrefix.size());
    // Only stems the query parser reads back as one word.
    if (std::all_of(stem.begin(), stem.end(),
                    [](char c) { return std::islower(static_cast<unsigned char>(c)); }))
      found.emplace_back(t.get_termfreq(), std::move(stem));
  }
  const size_t n = std::min(found.size(), kMaxPrefixExpansions);
  std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(n), found.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::move(found[i].second));
  return out;
}

}  // namespace

PrefixExpansion ExpandLastWord(const Xapian::Database& db, std::string_view q) {
  PrefixExpansion out;
  size_t end = q.size(), begin = end;
  while (begin > 0 && IsLetter(q[begin - 1])) --begin;
  if (end - begin < kMinPrefixLetters || (begin > 0 && JoinsWord(q[begin - 1]))) return out;
  if (std::count(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(begin), '"') % 2 == 1)
    return out;  // in a phrase
  const std::string_view typed = q.substr(begin);
  if (typed == "OR" || typed == "AND" || typed == "NOT") return out;
  std::string lower(typed);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::string> completions = Completions(db, lower);
  if (completions.empty()) return out;
  out.word = std::string(typed);
  out.begin = begin;
  out.query = std::string(q.substr(0, begin)) + "(" + out.word;
  for (const std::string& c : completions)
    if (c != lower) out.query += " OR " + c;
  out.query += ")";
  out.expanded = std::move(completions);
  return out;
}

}  // namespace tongwen
