// Internal: a quick scan for the tokens of interest in a text, for
// snippets (search/snippet.cc); implemented beside the analyzer whose
// tokens it predicts (text/analysis.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tongwen/analysis.h"

namespace tongwen {

// A quick scan for the tokens of interest in a text, without normalising or
// segmenting all of it: snippets run it in place of the analyzer where it
// can tell (most versions of a hit hold no term of the query, and the full
// analysis finds nothing in them).
// Tokens of interest are the Han characters `han_singles` and bigrams
// `han_pairs` (folded code points) as Analyze emits them with han_words
// off, and the English words that stem to one of `stems`. Where a token
// depends on text it does not read cheaply (a combining mark, a letter of
// another script, a full-width letter, a word that runs into non-ASCII
// text or follows a joiner), it reports the place without telling.
class TokenPrefilter {
 public:
  TokenPrefilter(std::vector<char32_t> han_singles, std::vector<std::pair<char32_t, char32_t>> han_pairs,
                 std::vector<std::string> stems);
  // The offset of the first character at or after `from` at which a token
  // of interest may begin, or npos: none begins in [from, result). `from`
  // must be where Analyze would start (a character boundary after a space,
  // or where the text given to the analyzer starts).
  // If *found is not empty, it holds exactly the tokens of interest that
  // Analyze(text.substr(from)) emits beginning there (offsets into `text`,
  // positions unset), and scanning may go on at *resume. If it is empty,
  // the tokens there are unknown: analyse the text around.
  size_t Next(std::string_view text, size_t from, std::vector<Token>* found, size_t* resume) const;
  size_t Find(std::string_view text, size_t from = 0) const;  // Next's answer alone

 private:
  // At text[i], an ASCII letter or digit after none: 0 if no word of
  // interest begins there (*resume past the word, if told), 1 if one does
  // (appended to *found; *resume past it), -1 if it cannot tell.
  int LatinAt(std::string_view text, size_t from, size_t i, std::vector<Token>* found, size_t* resume) const;
  bool Listed(const std::vector<uint64_t>& sorted, uint64_t key) const;
  std::vector<uint64_t> singles_, pairs_, firsts_;  // sorted; a pair is first << 32 | second
  std::vector<std::string> stems_;                  // sorted
  std::vector<uint16_t> stem_keys_;
  uint64_t han_bits_[64] = {};  // (code point % 4096) of singles_ and firsts_, a first check
};

}  // namespace tongwen
