// Text analysis shared by the indexer and the query side.
//
// The chain, in order (each stage is a small class, tested alone):
//   1. CharNormalizer  NFKC + case folding (full-width ＵＳＢ -> usb) and then
//                      Traditional->Simplified folding of Han characters.
//                      Folding runs here, before segmentation, so that 國防預算
//                      and 国防预算 are segmented identically; a token filter
//                      after segmentation would see different word breaks.
//                      Keeps a byte map back to the original text.
//   2. Segmenter       splits by script: Han (and other CJK) runs go to the
//                      ChineseSegmenter (ICU dictionary word break, optionally
//                      refined with a Lexicon), Latin/digit runs to the
//                      EnglishSegmenter (words, possessives, punctuation).
//   3. Token filters   English: possessive/apostrophe strip -> stop words
//                      (query side only) -> Snowball English stemmer.
//                      Chinese: overlapping character bigrams are emitted
//                      beside the words, so names that ICU splits into single
//                      characters (台|积|电) still match as 台积 积电.
// Index and query resolve the same analyzer by name (kAnalyzerName).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tongwen {

class Lexicon;

inline constexpr std::string_view kAnalyzerName = "zh_en_v1";

enum class Script : uint8_t { kLatin, kHan };
enum class TokenKind : uint8_t { kWord, kBigram };

struct Token {
  std::string text;    // analysed term text, without any prefix
  uint32_t pos = 0;    // word position (1-based); bigrams share their first char's word position
  uint32_t begin = 0;  // byte offset of the token in the ORIGINAL text
  uint32_t end = 0;    // one past the last byte in the original text
  Script script = Script::kLatin;
  TokenKind kind = TokenKind::kWord;
  std::string raw;  // Latin only: the unstemmed, normalised word
  const char* lang() const { return script == Script::kHan ? "zh" : "en"; }
};

// ---- Stage 1 -------------------------------------------------------------
struct NormalizedText {
  std::string text;                // normalised UTF-8
  std::vector<uint32_t> begin_of;  // original byte where normalised byte i's chunk starts
  std::vector<uint32_t> end_of;    // original byte where that chunk ends
};

class CharNormalizer {
 public:
  // Invalid UTF-8 bytes become a space (a token separator); never fails.
  static void Normalize(std::string_view in, NormalizedText* out);
  // Single code point NFKC-casefold + T->S fold; used by Normalize.
  static void AppendFolded(char32_t cp, std::string* out);
  // Traditional->Simplified for one Han code point (identity if none).
  static char32_t FoldHan(char32_t cp);
};

// ---- Stage 2 -------------------------------------------------------------
struct Segment {
  uint32_t begin, end;  // byte range in the normalised text
  Script script;
};

class Segmenter {
 public:
  // Splits normalised text into maximal runs of one script; other characters
  // (punctuation, spaces, symbols) separate runs and produce nothing.
  static void SplitScripts(std::string_view norm, std::vector<Segment>* out);
};

// English words inside a Latin run: letters/digits, internal apostrophes,
// decimal points and thousands separators between digits.
class EnglishSegmenter {
 public:
  static void Words(std::string_view run, std::vector<std::pair<uint32_t, uint32_t>>* out);
};

// ICU word break (dictionary based) over a Han run, refined with a lexicon
// when one is given: runs of single characters that ICU left are re-segmented
// by longest match against the lexicon's headwords.
class ChineseSegmenter {
 public:
  static void Words(std::string_view run, const Lexicon* lex,
                    std::vector<std::pair<uint32_t, uint32_t>>* out);
};

// ---- Stage 3 -------------------------------------------------------------
class EnglishFilters {
 public:
  // Strips a possessive 's / s' and any other apostrophes. Returns false if
  // nothing is left.
  static bool StripPossessive(std::string* word);
  static bool IsStopWord(std::string_view word);
  // Snowball English (Xapian::Stem), one stemmer per thread.
  static std::string Stem(const std::string& word);
  // Skipping the stemmer: Snowball English keeps a word's first letter and
  // rewrites only suffixes, where a y may become i ("dying" -> "die"); a
  // stem may be as short as one letter ("oed" -> "o"). StemKey is the first
  // two bytes with y read as i (a missing byte is 0). MayStemTo(w, keys) is
  // false only if w cannot stem to any stem whose StemKey is in keys.
  static uint16_t StemKey(std::string_view word);
  static bool MayStemTo(std::string_view word, const std::vector<uint16_t>& stem_keys);
};

bool IsChineseStopWord(std::string_view word);

// ---- The analyzer --------------------------------------------------------
struct AnalyzeOptions {
  bool stem = true;             // stem English words
  bool bigrams = true;          // emit Han bigrams
  bool drop_stopwords = false;  // query side: drop English stop words
  // false: Han runs are not segmented into words; each character is a word
  // token (plus bigrams). Much faster (no ICU dictionary break); snippets
  // use it, since bigrams and characters locate every Han match.
  bool han_words = true;
  uint32_t first_pos = 1;  // position of the first word
  // If set, English words that cannot stem to a stem with one of these
  // StemKeys are skipped (not stemmed, not emitted; their positions still
  // count). Snippets set it from the query's stems: most words of a text
  // cannot match, and stemming them was much of a snippet's cost.
  const std::vector<uint16_t>* stem_keys = nullptr;
};

class Analyzer {
 public:
  // lex may be null; REQUIRES: lex outlives the analyzer.
  explicit Analyzer(const Lexicon* lex = nullptr) : lex_(lex) {}
  // Calls sink for each token, in text order (bigrams right after the word
  // they start in). Returns the last position used (first_pos-1 if none).
  uint32_t Analyze(std::string_view text, const AnalyzeOptions& opt,
                   const std::function<void(const Token&)>& sink) const;
  // Convenience for tests: "term[pos]" dump, bigrams as "#term".
  std::string Dump(std::string_view text, const AnalyzeOptions& opt = {}) const;
  const Lexicon* lexicon() const { return lex_; }

 private:
  const Lexicon* lex_;
};

// Helpers shared by index and query code.
// The ASCII bytes the segmenter splits runs on: no token crosses one.
bool IsSegmentSpace(char c);
bool IsHanCodePoint(char32_t cp);
// Decodes UTF-8; returns code points (invalid bytes -> U+FFFD).
std::u32string DecodeUtf8(std::string_view s);
void AppendUtf8(char32_t cp, std::string* out);
bool IsValidUtf8(std::string_view s);

}  // namespace tongwen
