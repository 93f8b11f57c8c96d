// "Did you mean" (issue 24): corrections of misspelt English words and
// romanised names in a query, from the index's own vocabulary.
//
// A word is corrected only if nothing knows it: its stem is not an English
// term of the index (Z<stem>, or XZ<stem> for Latin words quoted in Chinese
// text), it is not a pinyin or romanised syllable, and the dictionary has no
// translation for it. Then every spelling one edit away (a deletion,
// insertion, substitution or transposition of adjacent letters) is tried,
// and the one whose stem the most articles hold wins; a spelling that only
// the dictionary knows (its English glosses) is a fallback, so that a
// misspelt word still translates. When the query has other English words
// the index knows, the most frequent candidates are ranked first by how many
// articles hold them together with those words (a candidate that makes the
// query match beats one that is merely frequent: `woried looking` ->
// worried, not worded). Chinese words, words of fewer than
// kMinCorrectedLetters letters, operators (OR, AND, NOT), field names
// (`title:`) and excluded words (`-word`) are never corrected.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

namespace tongwen {

class Lexicon;

inline constexpr size_t kMinCorrectedLetters = 4;

// REQUIRES: `db` (and `lexicon`, which may be null) outlive the corrector,
// which serves one thread. Xapian errors are thrown (the caller's handle
// wrapper turns them into a Status).
class SpellingCorrector {
 public:
  SpellingCorrector(const Xapian::Database& db, const Lexicon* lexicon) : db_(db), lexicon_(lexicon) {}

  // The query with each misspelt word replaced by its correction (in the
  // word's case: Tawian -> Taiwan, TAWIAN -> TAIWAN), the rest of the text
  // as typed; empty if no word was corrected. Words that begin at or after
  // byte `keep_from` (an unfinished word matched as a prefix) are kept.
  std::string CorrectQuery(std::string_view query, size_t keep_from = std::string_view::npos) const;

  // The correction of one lower-case ASCII word, among the stems `context`
  // (the query's other known English words, stemmed); empty if the word is
  // known or nothing close is. Answers are cached per thread for the
  // database's revision.
  std::string CorrectWord(const std::string& word, const std::vector<std::string>& context = {}) const;

  // Does the index or the dictionary know this lower-case word?
  bool IsKnown(const std::string& word) const;

 private:
  std::string BestCandidate(const std::string& word, const std::vector<std::string>& context) const;
  size_t CountWith(const std::string& stem, const std::vector<std::string>& context) const;
  double IndexFrequency(const std::string& word) const;
  bool InDictionary(const std::string& word) const;

  const Xapian::Database& db_;
  const Lexicon* lexicon_;
};

}  // namespace tongwen
