// SpellingCorrector: see spelling.h.
#include "suggest/spelling.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "schema/schema.h"

#include "tongwen/analysis.h"
#include "tongwen/lexicon.h"

namespace tongwen {

namespace s = schema;

namespace {

// Snowball English, as the analyzer stems (text/analysis.cc); a stemmer of
// our own so that the candidates, mostly not words, stay out of the
// analyzer's memo of frequent words.
std::string StemOf(const std::string& word) {
  thread_local Xapian::Stem stemmer("english");
  return stemmer(word);
}

bool IsAsciiLetter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// A byte that joins a letter run to a longer token (digits, apostrophes,
// non-ASCII letters or Han text): such runs are not corrected.
bool IsWordByte(unsigned char c) { return std::isalnum(c) || c == '\'' || c == '_' || c >= 0x80; }

std::string Lower(std::string_view w) {
  std::string out(w);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `fix` (lower case) in the case `typed` was written in.
std::string InCaseOf(std::string_view typed, std::string fix) {
  bool all_upper = typed.size() > 1;
  for (char c : typed) all_upper = all_upper && std::isupper(static_cast<unsigned char>(c));
  if (all_upper) {
    for (char& c : fix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else if (!typed.empty() && std::isupper(static_cast<unsigned char>(typed[0])) && !fix.empty()) {
    fix[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(fix[0])));
  }
  return fix;
}

// Every spelling one edit from `w` (lower-case letters). Several spellings
// may share a stem (legislative, legislate): the first one stands for it, so
// the order is that of the commonest typos' repairs: transpositions, then
// insertions (a letter left out is the commonest slip), substitutions and
// deletions.
std::vector<std::string> EditsOf(const std::string& w) {
  std::vector<std::string> out;
  out.reserve(54 * w.size() + 26);
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == w[i + 1]) continue;
    std::string t = w;
    std::swap(t[i], t[i + 1]);
    out.push_back(std::move(t));
  }
  for (size_t i = 0; i <= w.size(); ++i)
    for (char c = 'a'; c <= 'z'; ++c) out.push_back(w.substr(0, i) + c + w.substr(i));
  for (size_t i = 0; i < w.size(); ++i)
    for (char c = 'a'; c <= 'z'; ++c)
      if (c != w[i]) {
        std::string t = w;
        t[i] = c;
        out.push_back(std::move(t));
      }
  for (size_t i = 0; i < w.size(); ++i) out.push_back(w.substr(0, i) + w.substr(i + 1));
  return out;
}

// The database's revision as a cache key; empty for a backend without
// revisions (in-memory databases), whose answers are not cached.
std::string RevisionOf(const Xapian::Database& db) {
  try {
    return db.get_uuid() + ":" + std::to_string(db.get_revision());
  } catch (const Xapian::UnimplementedError&) {
    return {};
  }
}

// This thread's answers for one database revision.
struct CorrectionCache {
  static constexpr size_t kMaxEntries = 4096;
  std::string revision;
  std::unordered_map<std::string, std::string> answers;
};

}  // namespace

double SpellingCorrector::IndexFrequency(const std::string& word) const {
  const std::string stem = StemOf(word);
  std::string z(s::kStemPrefix), xz(s::kHanLatinPrefix);
  return double(db_.get_termfreq(z + stem)) + double(db_.get_termfreq(xz + stem));
}

bool SpellingCorrector::InDictionary(const std::string& word) const {
  return lexicon_ && !lexicon_->EnglishToChinese({StemOf(word)}, 1, Lexicon::Match::kExact).empty();
}

bool SpellingCorrector::IsKnown(const std::string& word) const {
  if (IndexFrequency(word) > 0 || InDictionary(word)) return true;
  return lexicon_ && (lexicon_->IsSyllable(word) || !lexicon_->RomanisedSyllables(word).empty());
}

// Articles that hold `stem` and every stem of `context`, counted up to
// kEnoughCooccurrences (English or Latin-in-Chinese terms alike).
size_t SpellingCorrector::CountWith(const std::string& stem, const std::vector<std::string>& context) const {
  constexpr Xapian::doccount kEnoughCooccurrences = 100;
  auto either = [](const std::string& st) {
    return Xapian::Query(Xapian::Query::OP_OR, Xapian::Query(std::string(s::kStemPrefix) + st),
                         Xapian::Query(std::string(s::kHanLatinPrefix) + st));
  };
  std::vector<Xapian::Query> all{either(stem)};
  for (const std::string& c : context) all.push_back(either(c));
  Xapian::Enquire enq(db_);
  enq.set_weighting_scheme(Xapian::BoolWeight());
  enq.set_query(Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end()));
  return enq.get_mset(0, 0, kEnoughCooccurrences).get_matches_lower_bound();
}

std::string SpellingCorrector::BestCandidate(const std::string& word,
                                             const std::vector<std::string>& context) const {
  // The most frequent spellings (by their stems' article counts), then
  // among them the one most articles hold with the query's other words.
  constexpr size_t kReranked = 8;
  struct Candidate {
    std::string spelling;
    double freq;
    size_t with_context = 0;
  };
  std::unordered_set<std::string> seen, stems;
  std::vector<Candidate> found;
  for (std::string& c : EditsOf(word)) {
    if (c.size() < kMinCorrectedLetters - 1 || !seen.insert(c).second) continue;
    if (!stems.insert(StemOf(c)).second) continue;  // an earlier spelling of this stem stands
    const double f = IndexFrequency(c);
    if (f > 0) found.push_back({c, f});
  }
  if (found.empty()) {
    std::string dictionary_only;
    for (const std::string& c : seen)
      if (InDictionary(c) && (dictionary_only.empty() || c < dictionary_only)) dictionary_only = c;
    return dictionary_only;
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Candidate& a, const Candidate& b) { return a.freq > b.freq; });
  if (found.size() > kReranked) found.resize(kReranked);
  if (!context.empty() && found.size() > 1) {
    for (Candidate& c : found) c.with_context = CountWith(StemOf(c.spelling), context);
    std::stable_sort(found.begin(), found.end(),
                     [](const Candidate& a, const Candidate& b) { return a.with_context > b.with_context; });
  }
  return found.front().spelling;
}

std::string SpellingCorrector::CorrectWord(const std::string& word,
                                           const std::vector<std::string>& context) const {
  if (word.size() < kMinCorrectedLetters || IsKnown(word)) return {};
  thread_local CorrectionCache cache;
  std::string revision = RevisionOf(db_);
  if (revision.empty()) return BestCandidate(word, context);
  if (cache.revision != revision || cache.answers.size() >= CorrectionCache::kMaxEntries) {
    cache.answers.clear();
    cache.revision = std::move(revision);
  }
  std::string key = word;
  for (const std::string& c : context) key += ' ' + c;
  auto it = cache.answers.find(key);
  if (it != cache.answers.end()) return it->second;
  return cache.answers.emplace(std::move(key), BestCandidate(word, context)).first->second;
}

namespace {

// A run of ASCII letters in a query that may be corrected.
struct QueryWordSpan {
  size_t begin, end;
  std::string lower;
};

std::vector<QueryWordSpan> CorrectableWords(std::string_view q) {
  std::vector<QueryWordSpan> out;
  size_t i = 0;
  while (i < q.size()) {
    if (!IsAsciiLetter(static_cast<unsigned char>(q[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < q.size() && IsAsciiLetter(static_cast<unsigned char>(q[j]))) ++j;
    const std::string_view typed = q.substr(i, j - i);
    const bool joined = (i > 0 && IsWordByte(static_cast<unsigned char>(q[i - 1]))) ||
                        (j < q.size() && IsWordByte(static_cast<unsigned char>(q[j])));
    const bool excluded = i > 0 && q[i - 1] == '-';
    const bool field = j < q.size() && q[j] == ':';
    const bool op = typed == "OR" || typed == "AND" || typed == "NOT";
    if (!joined && !excluded && !field && !op) out.push_back({i, j, Lower(typed)});
    i = j;
  }
  return out;
}

}  // namespace

std::string SpellingCorrector::CorrectQuery(std::string_view q, size_t keep_from) const {
  std::vector<QueryWordSpan> words = CorrectableWords(q);
  while (!words.empty() && words.back().begin >= keep_from) words.pop_back();
  std::vector<bool> known(words.size());
  std::vector<std::string> context;
  for (size_t k = 0; k < words.size(); ++k) {
    known[k] = words[k].lower.size() < kMinCorrectedLetters || IsKnown(words[k].lower);
    if (known[k] && !EnglishFilters::IsStopWord(words[k].lower) && IndexFrequency(words[k].lower) > 0)
      context.push_back(StemOf(words[k].lower));
  }
  std::string out;
  size_t copied = 0;
  for (size_t k = 0; k < words.size(); ++k) {
    if (known[k]) continue;
    const std::string fix = CorrectWord(words[k].lower, context);
    if (fix.empty()) continue;
    out.append(q.substr(copied, words[k].begin - copied));
    out += InCaseOf(q.substr(words[k].begin, words[k].end - words[k].begin), fix);
    copied = words[k].end;
  }
  if (copied == 0) return {};
  out.append(q.substr(copied));
  return out;
}

}  // namespace tongwen
