// A compiled Chinese-English lexicon (from CC-CEDICT), loaded read-only.
//
// The text dictionary is compiled once (`Lexicon::Compile`) into a compact
// binary file that is memory-mapped by `Lexicon::Open`, so searchd starts in
// milliseconds instead of parsing ~10 MB of text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tongwen/status.h"

namespace tongwen {

struct LexEntry {
  std::string_view headword;  // Simplified-folded headword
  std::string_view pinyin;    // pinyin as in CC-CEDICT: numbered syllables, e.g. "Cai4 Ying1 wen2"
  std::vector<std::string_view> glosses;  // cleaned English glosses, sense order
};

// One English->Chinese candidate, from the reverse gloss index.
struct LexCandidate {
  std::string_view headword;
  float score;  // higher is better
};

// Cleans one CC-CEDICT gloss for use as a translation (exposed for tests):
// drops parenthetical notes, "CL:" classifiers, "see also", "variant of" and
// "abbr. for" pointers; splits "a; b" into senses; keeps the head of
// "Name, description"; drops a leading "to "; adds an acronym given in
// parentheses ("... Company (TSMC)" -> also "TSMC"). Empty = not usable.
std::vector<std::string> CleanGloss(const std::string& gloss);

class Lexicon {
 public:
  ~Lexicon();
  Lexicon(const Lexicon&) = delete;
  Lexicon& operator=(const Lexicon&) = delete;

  // Compiles a CC-CEDICT text file (plain or .gz) into a binary lexicon file.
  // Writes to `out_path` via a temp file + rename.
  static Status Compile(const std::string& cedict_path, const std::string& out_path);
  // Opens a compiled lexicon. Fails with kCorruption on a bad file.
  static Result<std::unique_ptr<Lexicon>> Open(const std::string& path);
  // Opens `path`: compiled if it starts with the magic, else compiles the
  // text dictionary in memory (slower; for tests and `--dictionary FILE`).
  static Result<std::unique_ptr<Lexicon>> Load(const std::string& path);

  size_t size() const;
  // Is `word` (Simplified-folded) a headword?
  bool Contains(std::string_view word) const;
  // False if no headword of two or more characters starts with these two
  // characters (Simplified-folded); true means maybe (a hashed filter).
  bool MayStartWord(std::string_view two_chars) const;
  // Is `stems` (two to four stemmed English words, joined by single spaces)
  // the whole of a cleaned gloss, as ChineseToEnglish-style lookups split
  // them? The indexer adds a term for each one it finds in English text
  // (schema::kGlossPrefix), so a multi-word translation of a Chinese word
  // is searched as one term. MayStartGlossPhrase: false if no such gloss
  // starts with this stem.
  bool IsGlossPhrase(std::string_view stems) const;
  bool MayStartGlossPhrase(std::string_view stem) const;
  // Longest headword length (in code points).
  unsigned max_word_chars() const;
  // Entry for a Simplified-folded headword, or false.
  bool Lookup(std::string_view word, LexEntry* out) const;
  // Pinyin syllable (toneless, lower case) for one Simplified-folded Han
  // character: the most common reading; empty if unknown.
  std::string_view CharPinyin(char32_t cp) const;
  // Is `s` a pinyin syllable (toneless, lower case, "v" for ü) of some
  // character in the dictionary?
  bool IsSyllable(std::string_view s) const;
  // Pinyin syllables a romanised Latin word may stand for: the word itself
  // if it is pinyin, and its Wade-Giles / Taiwanese readings ("tsai" -> cai,
  // "hsiung" -> xiong, "ching" -> jing, qing). Best first, at most 4.
  std::vector<std::string> RomanisedSyllables(std::string_view word) const;
  // English -> Chinese: headwords with a cleaned gloss equal to the phrase
  // given as a sequence of stemmed English words. Best first, at most `max`.
  //   kExact     the whole gloss matches
  //   kPrefix    as kExact, else a single word may match a gloss that is a
  //              prefix of it, up to 3 bytes shorter (macedonian -> Macedonia)
  //   kNamePart  one word of a 2-3 word proper-noun gloss (trump -> 特朗普
  //              "Donald Trump"); a fallback when nothing else matched
  enum class Match { kExact, kPrefix, kNamePart };
  std::vector<LexCandidate> EnglishToChinese(const std::vector<std::string>& stems, size_t max,
                                             Match match = Match::kExact) const;

  struct Impl;

 private:
  explicit Lexicon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tongwen
