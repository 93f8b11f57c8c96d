#include "query/relaxation.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

namespace tongwen {

bool IsNumber(const std::string& stem) {
  return !stem.empty() && std::all_of(stem.begin(), stem.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || ch == '.' || ch == ',';
  });
}

// The words of a Chinese word's multi-word English glosses, each alone
// (钟声 "sound bell": bell; 保守党 "conserv polit parti": conserv, polit,
// parti), but for words of fewer than three letters and numbers ("grade 2",
// "categori b"): English text often holds part of a gloss without the rest
// ("the bells", "the Conservative Party"), where the whole gloss only
// matches side by side (an XG term). Such a word is a partial match of the
// Chinese word (issue 22: 核电 "nuclear power" is not found by "power"
// alone): searched only where a word may be missing (the relaxed query and
// mode=any), at kPartialShare of a translation's weight, and counting half
// a concept in the coordination.
std::vector<std::string> PartialWords(const std::vector<std::vector<std::string>>& senses) {
  std::vector<std::string> words;
  for (const auto& g : senses) {
    if (g.size() < 2) continue;
    for (const std::string& h : g)
      if (h.size() >= 3 && !IsNumber(h) && std::find(words.begin(), words.end(), h) == words.end())
        words.push_back(h);
  }
  for (const auto& g : senses)  // a word that is a whole gloss of its own is no partial match
    if (g.size() == 1) words.erase(std::remove(words.begin(), words.end(), g[0]), words.end());
  return words;
}

// A partial match (PartialWords) weighs as a translation (kPartialShare;
// measured 0.25, 0.5 and 1 on bench/relevance: 1 is best on the mixed
// archives' English-only targets of Chinese queries, .90 to .94, and on the
// sibling archives' keyword queries, and no cell is lower), but counts half
// a concept in the coordination (kPartialCoordination).

// Coordination (Lucene's classic coord, Meilisearch's "words" rule before
// its other rules): in the relaxed query and mode=any, each concept an
// article matches (a word as typed or through any of its translations, on
// the side that scores the article) adds a fixed weight. For a query of up
// to kCoordinationConcepts concepts it is the query's highest weight, so
// the number of concepts matched ranks before the weights of the words that
// matched them: an article that holds four of five keywords as typed ranks
// above one that holds two through translation. Beyond, it falls steeply
// ((kCoordinationConcepts / n)^kCoordinationFalloff), and a pasted
// sentence's relaxed hits rank by BM25, where matching one more common word
// says little. Measured (bench/relevance, MRR@10, issue 22): without it the
// sibling archive's keyword queries with a stray word score .60-.77, with it
// .85-.96; at full strength for every length the sentence queries of the
// single and mixed views lose up to .08 (Chinese queries, English-only
// view); a falloff of 8 from 5 concepts keeps them within .01 of no
// coordination, and keyword lists of 7 concepts (keyword-queries --words 6)
// score .94/.93/.92 (.97/.91/.91 at full strength).
constexpr double kCoordinationConcepts = 5;
constexpr double kCoordinationFalloff = 8;
double CoordinationWeight(double highest, size_t concepts) {
  if (concepts < 2) return 0;
  return highest *
         std::min(1.0, std::pow(kCoordinationConcepts / static_cast<double>(concepts), kCoordinationFalloff));
}

Xapian::Query CoordinationOf(const Xapian::Query& match, double weight) {
  Xapian::Query fixed((new Xapian::FixedWeightPostingSource(weight))->release());
  return Xapian::Query(Xapian::Query::OP_FILTER, fixed, match);
}
Xapian::Query Coordination(const std::vector<Xapian::Query>& concepts) {
  if (concepts.size() < 2) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_OR, concepts.begin(), concepts.end());
}

// Whether a query reads as pasted prose rather than typed search terms:
// it has at least kProseWords words besides its phrases (a Han character
// counting half a word), or a quote left open. Quotation marks in prose
// quote speech ("suffered the meanness, the anger"), which the article may
// hold in other words or another language: the relaxed query of prose
// searches its phrases as plain words, where that of typed terms keeps a
// phrase's adjacency (issue 22).
constexpr double kProseWords = 5;

namespace {
double PlainWords(const QueryNode& n) {
  if (n.kind == QueryNode::kAnd) {
    double words = 0;
    for (const QueryNode& ch : n.children) words += PlainWords(ch);
    return words;
  }
  if (n.kind != QueryNode::kText || !n.field.empty()) return 0;
  double words = 0;
  bool in_word = false;
  for (size_t i = 0; i < n.text.size(); ++i) {
    const auto b = static_cast<unsigned char>(n.text[i]);
    const bool alnum = std::isalnum(b) != 0;
    if (alnum && !in_word) words += 1;
    in_word = alnum;
    if (b >= 0xE3 && b <= 0xE9) words += 0.5;  // a lead byte of U+3000-U+9FFF (CJK)
  }
  return words;
}
}  // namespace

bool ReadsAsProse(const ParsedQuery& pq) {
  for (const std::string& r : pq.repairs)
    if (r.rfind("unclosed quote", 0) == 0) return true;
  if (PlainWords(pq.root) >= kProseWords) return true;
  // A quotation rather than a phrase: a quoted sentence.
  auto quotation = [](const QueryNode& n) {
    if (n.kind != QueryNode::kPhrase || !n.field.empty()) return false;
    QueryNode t = n;
    t.kind = QueryNode::kText;
    return PlainWords(t) >= kProseWords;
  };
  if (quotation(pq.root)) return true;
  if (pq.root.kind == QueryNode::kAnd)
    for (const QueryNode& ch : pq.root.children)
      if (quotation(ch)) return true;
  return false;
}

void PositiveText(const QueryNode& n, std::string* out) {
  if (n.kind == QueryNode::kNot) return;
  if ((n.kind == QueryNode::kText || n.kind == QueryNode::kPhrase) && n.field != "source" &&
      n.field != "section")
    *out += n.text + " ";
  for (const QueryNode& ch : n.children) PositiveText(ch, out);
}
bool HasWordCharacters(const std::string& text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const auto n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    UChar32 ch;
    U8_NEXT(p, i, n, ch);
    if (ch < 0 || !(u_isUWhiteSpace(ch) || u_ispunct(ch) || u_iscntrl(ch))) return true;
  }
  return false;
}

}  // namespace tongwen
