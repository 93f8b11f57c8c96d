// The query language (docs/api.md, "Query syntax") and its translation into
// a Xapian::Query, including cross-language expansion.
//
//   words          all words must match (mode=all) or any (mode=any)
//   "a phrase"     adjacent words, either language; Chinese phrases match
//                  whole words only ("京都" does not match 東京都)
//   a OR b         either
//   -word, NOT w   exclude
//   ( ... )        grouping
//   title: source: section:   field prefixes (title:word, title:"phrase")
//
// The parser never fails: an unclosed quote or parenthesis is closed at the
// end of the query, a stray ')' or a dangling OR/NOT is ignored. The parse
// reports what it repaired in `ParsedQuery::repairs`.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace tongwen {

struct QueryNode {
  enum Kind { kText, kPhrase, kAnd, kOr, kNot } kind = kText;
  std::string text;                 // kText/kPhrase: the raw text (one whitespace-free word, or phrase)
  std::string field;                // "", "title", "source", "section"
  std::vector<QueryNode> children;  // kAnd/kOr: operands; kNot: [excluded]
};

struct ParsedQuery {
  QueryNode root;                    // kAnd of the top-level clauses
  std::vector<std::string> repairs;  // e.g. "unclosed quote at 7"
  bool truncated = false;            // input longer than max_bytes was cut
};

// Parses `q`, cutting it at `max_bytes` (on a UTF-8 boundary).
ParsedQuery ParseQuery(const std::string& q, size_t max_bytes = 1024);

}  // namespace tongwen
