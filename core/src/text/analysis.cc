#include "tongwen/analysis.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>
#include <xapian.h>

#include "text/token_prefilter.h"

#include "tongwen/lexicon.h"

namespace tongwen {
namespace {

constexpr char32_t kHanTableFirst = 0x3400;
constexpr char32_t kHanTableLast = 0x9FFF;
constexpr size_t kMaxLatinWordBytes = 64;

const icu::Normalizer2* NfkcCasefold() {
  static const icu::Normalizer2* n = [] {
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* p = icu::Normalizer2::getNFKCCasefoldInstance(st);
    return U_FAILURE(st) ? nullptr : p;
  }();
  return n;
}

// hasBoundaryBefore of NFKC_Casefold for every BMP code point, one bit each
// (8 KB, built once): Normalize asks it for each character that follows
// another, and CJK punctuation (，。) would otherwise go to ICU each time.
const std::vector<uint64_t>& BoundaryBeforeBits() {
  static const std::vector<uint64_t> bits = [] {
    std::vector<uint64_t> b(0x10000 / 64, ~uint64_t{0});
    if (const icu::Normalizer2* n = NfkcCasefold())
      for (UChar32 c = 0; c < 0x10000; ++c)
        if (!n->hasBoundaryBefore(c)) b[c / 64] &= ~(uint64_t{1} << (c % 64));
    return b;
  }();
  return bits;
}

// Whether code point `c` joins the one before it in one normalisation
// chunk: CharNormalizer::Normalize extends a chunk over such characters
// (combining marks), and a token ending before one ends after it.
bool JoinsPrevious(int32_t c) {
  const icu::Normalizer2* n2 = NfkcCasefold();
  if (c < 0x300 || !n2) return false;
  if (c < 0x10000) return !(BoundaryBeforeBits()[static_cast<size_t>(c) / 64] >> (c % 64) & 1);
  return !n2->hasBoundaryBefore(c);
}

// Traditional->Simplified table for U+3400..U+9FFF, built once from ICU's
// "Traditional-Simplified" transform, by transliterating one string of all
// the characters, one per line: per-character calls would be slow.
const std::vector<char32_t>& HanFoldTable() {
  static const std::vector<char32_t> table = [] {
    std::vector<char32_t> t(kHanTableLast - kHanTableFirst + 1);
    for (char32_t c = kHanTableFirst; c <= kHanTableLast; ++c) t[c - kHanTableFirst] = c;
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> tr(
        icu::Transliterator::createInstance("Traditional-Simplified", UTRANS_FORWARD, st));
    if (U_FAILURE(st) || !tr) return t;  // identity: folding degrades, never fails
    icu::UnicodeString s;
    for (char32_t c = kHanTableFirst; c <= kHanTableLast; ++c) {
      s.append(static_cast<UChar32>(c));
      s.append(static_cast<UChar>('\n'));
    }
    tr->transliterate(s);
    char32_t cur = kHanTableFirst;
    UChar32 first = -1;
    int n = 0;
    for (int32_t k = 0; k < s.length() && cur <= kHanTableLast;) {
      UChar32 c = s.char32At(k);
      k += U16_LENGTH(c);
      if (c == '\n') {
        if (n == 1 && IsHanCodePoint(static_cast<char32_t>(first))) t[cur - kHanTableFirst] = first;
        ++cur;
        n = 0;
      } else {
        if (n == 0) first = c;
        ++n;
      }
    }
    return t;
  }();
  return table;
}

bool IsLatinWordChar(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
  return u_isalnum(static_cast<UChar32>(c)) && !IsHanCodePoint(c);
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// CJK Unified Ideographs and Extension A: NFKC_Casefold leaves them alone
// (analysis_test checks this against ICU for every one).
bool IsUnifiedIdeograph(int32_t c) { return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF); }

// Decodes one code point at `i` (advancing it); invalid -> -1.
inline int32_t NextCp(std::string_view s, size_t* i) {
  int32_t c;
  int32_t idx = static_cast<int32_t>(*i);
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), idx, static_cast<int32_t>(s.size()), c);
  *i = static_cast<size_t>(idx);
  return c;
}

}  // namespace

bool IsSegmentSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

bool IsHanCodePoint(char32_t c) {
  if (c >= 0x4E00 && c <= 0x9FFF) return true;    // CJK Unified Ideographs
  if (c >= 0x3400 && c <= 0x4DBF) return true;    // Extension A
  if (c >= 0x3040 && c <= 0x30FF) return true;    // Hiragana, Katakana
  if (c >= 0xAC00 && c <= 0xD7AF) return true;    // Hangul syllables
  if (c >= 0xF900 && c <= 0xFAFF) return true;    // Compatibility ideographs
  if (c >= 0x20000 && c <= 0x3134F) return true;  // Extensions B..G
  if (c == 0x3005 || c == 0x3007) return true;    // 々 〇
  return false;
}

void AppendUtf8(char32_t cp, std::string* out) {
  char buf[4];
  int32_t len = 0;
  UBool err = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, static_cast<UChar32>(cp), err);
  if (!err) out->append(buf, static_cast<size_t>(len));
}

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    int32_t c = NextCp(s, &i);
    out.push_back(c < 0 ? 0xFFFD : static_cast<char32_t>(c));
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (NextCp(s, &i) < 0) return false;
  }
  return true;
}

// ---- Stage 1 ---------------------------------------------------------------

char32_t CharNormalizer::FoldHan(char32_t cp) {
  if (cp < kHanTableFirst || cp > kHanTableLast) return cp;
  return HanFoldTable()[cp - kHanTableFirst];
}

void CharNormalizer::AppendFolded(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  if (IsUnifiedIdeograph(static_cast<int32_t>(cp))) {
    // The bulk of Chinese text: NFKC is the identity on it, and its
    // Simplified form is written (3 bytes) without AppendUtf8's checks.
    const char32_t f = FoldHan(cp);
    if (f >= 0x800 && f < 0x10000) {
      const char b[3] = {static_cast<char>(0xE0 | (f >> 12)), static_cast<char>(0x80 | ((f >> 6) & 0x3F)),
                         static_cast<char>(0x80 | (f & 0x3F))};
      out->append(b, 3);
    } else {
      AppendUtf8(f, out);
    }
    return;
  }
  thread_local std::unordered_map<char32_t, std::string> cache;
  auto it = cache.find(cp);
  if (it == cache.end()) {
    std::string folded;
    const icu::Normalizer2* n = NfkcCasefold();
    icu::UnicodeString src(static_cast<UChar32>(cp));
    UErrorCode st = U_ZERO_ERROR;
    icu::UnicodeString dst = n ? n->normalize(src, st) : src;
    if (U_FAILURE(st)) dst = src;
    for (int32_t k = 0; k < dst.length();) {
      UChar32 c = dst.char32At(k);
      k += U16_LENGTH(c);
      AppendUtf8(FoldHan(static_cast<char32_t>(c)), &folded);
    }
    if (cache.size() > 65536) cache.clear();
    it = cache.emplace(cp, std::move(folded)).first;
  }
  out->append(it->second);
}

void CharNormalizer::Normalize(std::string_view in, NormalizedText* out) {
  out->text.clear();
  out->begin_of.clear();
  out->end_of.clear();
  out->text.reserve(in.size());
  const icu::Normalizer2* n2 = NfkcCasefold();
  // Maps the bytes just appended to the original chunk [b, e).
  auto map_tail = [out](uint32_t b, uint32_t e) {
    out->begin_of.resize(out->text.size(), b);
    out->end_of.resize(out->text.size(), e);
  };
  size_t i = 0;
  while (i < in.size()) {
    const size_t start = i;
    // Fast path: a run of ASCII bytes; its last byte is left to the slow
    // path if a non-ASCII byte (maybe a combining mark) follows.
    size_t run_end = i;
    while (run_end < in.size() && static_cast<unsigned char>(in[run_end]) < 0x80) ++run_end;
    if (run_end < in.size() && run_end > i) --run_end;
    if (run_end > i) {
      const size_t at = out->text.size(), n = run_end - i;
      out->text.resize(at + n);
      out->begin_of.resize(at + n);
      out->end_of.resize(at + n);
      char* t = out->text.data() + at;
      uint32_t* b = out->begin_of.data() + at;
      uint32_t* e = out->end_of.data() + at;
      for (size_t k = 0; k < n; ++k) {
        const unsigned char c = static_cast<unsigned char>(in[i + k]);
        t[k] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        b[k] = static_cast<uint32_t>(i + k);
        e[k] = static_cast<uint32_t>(i + k + 1);
      }
      i = run_end;
      continue;
    }
    int32_t c = NextCp(in, &i);
    if (c < 0) {
      out->text.push_back(' ');
      map_tail(static_cast<uint32_t>(start), static_cast<uint32_t>(i));
      continue;
    }
    // Extend the chunk over following code points that do not start a new
    // normalisation unit (combining marks).
    size_t chunk_end = i;
    while (chunk_end < in.size() && n2) {
      size_t j = chunk_end;
      int32_t c2 = NextCp(in, &j);
      if (!JoinsPrevious(c2)) break;
      chunk_end = j;
    }
    if (chunk_end == i) {
      AppendFolded(static_cast<char32_t>(c), &out->text);
    } else {
      icu::UnicodeString src = icu::UnicodeString::fromUTF8(
          icu::StringPiece(in.data() + start, static_cast<int32_t>(chunk_end - start)));
      UErrorCode st = U_ZERO_ERROR;
      icu::UnicodeString dst = n2->normalize(src, st);
      if (U_FAILURE(st)) dst = src;
      for (int32_t k = 0; k < dst.length();) {
        UChar32 d = dst.char32At(k);
        k += U16_LENGTH(d);
        AppendUtf8(FoldHan(static_cast<char32_t>(d)), &out->text);
      }
      i = chunk_end;
    }
    map_tail(static_cast<uint32_t>(start), static_cast<uint32_t>(i));
  }
}

// ---- Stage 2 ---------------------------------------------------------------

void Segmenter::SplitScripts(std::string_view norm, std::vector<Segment>* out) {
  out->clear();
  bool in_run = false;
  Segment cur{0, 0, Script::kLatin};
  for (size_t i = 0; i < norm.size();) {
    const size_t start = i;
    const auto b = static_cast<unsigned char>(norm[i]);
    if (b < 0x80) {  // ASCII: a space, or Latin script (no decoding)
      if (IsSegmentSpace(static_cast<char>(b))) {
        ++i;
        if (in_run) out->push_back(cur);
        in_run = false;
        continue;
      }
      while (i < norm.size() && static_cast<unsigned char>(norm[i]) < 0x80 && !IsSegmentSpace(norm[i])) ++i;
      if (in_run && cur.script == Script::kLatin) {
        cur.end = static_cast<uint32_t>(i);
      } else {
        if (in_run) out->push_back(cur);
        cur = Segment{static_cast<uint32_t>(start), static_cast<uint32_t>(i), Script::kLatin};
        in_run = true;
      }
      continue;
    }
    int32_t c = NextCp(norm, &i);
    // No white space lies above U+3000 (ICU is not asked about Han text).
    bool space = c < 0 || c == ' ' || c == '\n' || c == '\t' || c == '\r' ||
                 (c >= 0x80 && c < 0x3000 && u_isUWhiteSpace(c)) || c == 0x3000;
    if (space) {
      if (in_run) out->push_back(cur);
      in_run = false;
      continue;
    }
    Script s = IsHanCodePoint(static_cast<char32_t>(c)) ? Script::kHan : Script::kLatin;
    if (in_run && s == cur.script) {
      cur.end = static_cast<uint32_t>(i);
      continue;
    }
    if (in_run) out->push_back(cur);
    cur = Segment{static_cast<uint32_t>(start), static_cast<uint32_t>(i), s};
    in_run = true;
  }
  if (in_run) out->push_back(cur);
}

namespace {

// The word rules of EnglishSegmenter::Words over `n` code points: cp(k) is
// the k-th code point, start(k) its byte offset (start(n) = the run's size).
template <typename Cp, typename Start>
void LatinWords(size_t n, Cp cp, Start start, std::vector<std::pair<uint32_t, uint32_t>>* out) {
  auto word_at = [&](size_t k) { return k < n && IsLatinWordChar(cp(k)); };
  auto digit_at = [&](size_t k) { return k < n && cp(k) >= '0' && cp(k) <= '9'; };
  auto letter_at = [&](size_t k) { return word_at(k) && !digit_at(k); };
  size_t k = 0;
  while (k < n) {
    if (!word_at(k)) {
      ++k;
      continue;
    }
    size_t b = k;
    ++k;
    while (k < n) {
      if (word_at(k)) {
        ++k;
        continue;
      }
      char32_t c = cp(k);
      bool join = false;
      if ((c == '\'' || c == 0x2019) && letter_at(k - 1) && letter_at(k + 1)) join = true;
      if ((c == '.' || c == ',') && digit_at(k - 1) && digit_at(k + 1)) join = true;
      // Acronyms: single letters joined by dots (u.s., u.k.).
      if (c == '.' && letter_at(k - 1) && (k < 2 || !word_at(k - 2)) && letter_at(k + 1) && !word_at(k + 2))
        join = true;
      if (!join) break;
      k += 1;
    }
    // A trailing possessive apostrophe (dogs') stays with the word so the
    // filter can strip it; offsets still cover only the word.
    out->emplace_back(start(b), start(k));
  }
}

}  // namespace

void EnglishSegmenter::Words(std::string_view run, std::vector<std::pair<uint32_t, uint32_t>>* out) {
  out->clear();
  // Most runs are ASCII: one byte per code point, nothing to decode.
  bool ascii = true;
  for (char c : run) ascii &= static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    LatinWords(
        run.size(), [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(run[k])); },
        [](size_t k) { return static_cast<uint32_t>(k); }, out);
    return;
  }
  // Decode once: code point, byte start.
  thread_local std::vector<std::pair<char32_t, uint32_t>> cps;
  cps.clear();
  for (size_t i = 0; i < run.size();) {
    const size_t start = i;
    int32_t c = NextCp(run, &i);
    cps.emplace_back(c < 0 ? 0xFFFD : static_cast<char32_t>(c), static_cast<uint32_t>(start));
  }
  const size_t n = cps.size();
  LatinWords(
      n, [&](size_t k) { return cps[k].first; },
      [&](size_t k) { return k < n ? cps[k].second : static_cast<uint32_t>(run.size()); }, out);
}

void ChineseSegmenter::Words(std::string_view run, const Lexicon* lex,
                             std::vector<std::pair<uint32_t, uint32_t>>* out) {
  out->clear();
  thread_local std::unique_ptr<icu::BreakIterator> bi = [] {
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> p(
        icu::BreakIterator::createWordInstance(icu::Locale::getChinese(), st));
    if (U_FAILURE(st)) p.reset();
    return p;
  }();
  std::vector<std::pair<uint32_t, uint32_t>> icu_words;
  bool ok = false;
  if (bi) {
    UErrorCode st = U_ZERO_ERROR;
    UText* ut = utext_openUTF8(nullptr, run.data(), static_cast<int64_t>(run.size()), &st);
    if (U_SUCCESS(st)) {
      bi->setText(ut, st);
      if (U_SUCCESS(st)) {
        int32_t p = bi->first();
        for (int32_t q = bi->next(); q != icu::BreakIterator::DONE; p = q, q = bi->next())
          icu_words.emplace_back(static_cast<uint32_t>(p), static_cast<uint32_t>(q));
        ok = true;
      }
      utext_close(ut);
      // Detach the iterator from the UText we are about to release.
      bi->setText(icu::UnicodeString());
    }
  }
  if (!ok) {  // ICU unavailable: one word per character
    for (size_t i = 0; i < run.size();) {
      size_t s = i;
      NextCp(run, &i);
      icu_words.emplace_back(static_cast<uint32_t>(s), static_cast<uint32_t>(i));
    }
  }
  if (!lex) {
    *out = std::move(icu_words);
    return;
  }
  // Refine 1: ICU sometimes splits a place name one character late, e.g.
  // 東京都政府 -> 东|京都|政府, which would let the phrase "京都" (Kyoto) match
  // Tokyo. When a single non-function character and the first character of
  // a two-character word form a proper noun of the dictionary (a capitalised
  // reading: 东京 Dong1 jing1), and the remaining character is a word too,
  // move the boundary: 东京|都. Common words are left alone (大|地震 must not
  // become 大地|震).
  for (size_t k = 0; k + 1 < icu_words.size(); ++k) {
    auto [a0, a1] = icu_words[k];
    auto [b0, b1] = icu_words[k + 1];
    size_t i = a0, j = b0;
    NextCp(run, &i);
    if (i != a1) continue;  // first word is one character
    NextCp(run, &j);
    size_t j2 = j;
    NextCp(run, &j2);
    if (j2 != b1) continue;  // second word is two characters
    if (IsChineseStopWord(run.substr(a0, a1 - a0))) continue;
    LexEntry e;
    if (lex->Lookup(run.substr(a0, j - a0), &e) && !e.pinyin.empty() && e.pinyin[0] >= 'A' &&
        e.pinyin[0] <= 'Z' && lex->Contains(run.substr(j, b1 - j))) {
      icu_words[k].second = static_cast<uint32_t>(j);
      icu_words[k + 1].first = static_cast<uint32_t>(j);
      ++k;
    }
  }
  // Refine 2: a stretch of consecutive single-character ICU words (typical for
  // names and terms ICU does not know, 台|积|电) is re-segmented by forward
  // longest match against the lexicon.
  auto chars_in = [&](std::pair<uint32_t, uint32_t> w) {
    size_t n = 0;
    for (size_t i = w.first; i < w.second;) {
      NextCp(run, &i);
      ++n;
    }
    return n;
  };
  const unsigned max_chars = std::min<unsigned>(lex->max_word_chars(), 8);
  size_t k = 0;
  while (k < icu_words.size()) {
    if (chars_in(icu_words[k]) != 1) {
      out->push_back(icu_words[k++]);
      continue;
    }
    size_t m = k;
    while (m < icu_words.size() && chars_in(icu_words[m]) == 1) ++m;
    // icu_words[k..m) are single characters.
    size_t a = k;
    while (a < m) {
      size_t best = a + 1;
      // Most character pairs start no headword: one filter probe skips
      // the lookups of every length.
      const bool may = a + 1 < m && lex->MayStartWord(run.substr(
                                        icu_words[a].first, icu_words[a + 1].second - icu_words[a].first));
      for (size_t len = may ? std::min<size_t>(max_chars, m - a) : 1; len >= 2; --len) {
        std::string_view cand =
            run.substr(icu_words[a].first, icu_words[a + len - 1].second - icu_words[a].first);
        if (lex->Contains(cand)) {
          best = a + len;
          break;
        }
      }
      out->emplace_back(icu_words[a].first, icu_words[best - 1].second);
      a = best;
    }
    k = m;
  }
}

// ---- Stage 3 ---------------------------------------------------------------

bool EnglishFilters::StripPossessive(std::string* w) {
  auto ends_with = [&](std::string_view suf) {
    return w->size() >= suf.size() && w->compare(w->size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends_with("'s"))
    w->resize(w->size() - 2);
  else if (ends_with("\xE2\x80\x99s"))
    w->resize(w->size() - 4);  // ’s
  // Most words have nothing more to strip. (A loop: find_first_of calls
  // memchr once per character.)
  bool strip = false;
  for (char c : *w) strip |= c == '\'' || c == ',' || c == '.' || c == '\xE2';
  if (!strip) return !w->empty();
  // Remaining apostrophes (don't -> dont, o'neill -> oneill).
  std::string r;
  r.reserve(w->size());
  for (size_t i = 0; i < w->size(); ++i) {
    if ((*w)[i] == '\'') continue;
    if (w->compare(i, 3, "\xE2\x80\x99") == 0) {
      i += 2;
      continue;
    }
    // Thousands separators and acronym dots: 1,000 -> 1000, u.s -> us;
    // decimal points between digits stay (3.5).
    if ((*w)[i] == ',') continue;
    if ((*w)[i] == '.' &&
        !(i > 0 && IsAsciiDigit((*w)[i - 1]) && i + 1 < w->size() && IsAsciiDigit((*w)[i + 1])))
      continue;
    r.push_back((*w)[i]);
  }
  w->swap(r);
  return !w->empty();
}

bool EnglishFilters::IsStopWord(std::string_view w) {
  static const std::unordered_set<std::string_view> kStop = {
      "a",     "an",    "and",  "are",   "as",    "at",     "be",   "been",  "but",    "by",    "for",
      "from",  "had",   "has",  "have",  "he",    "her",    "his",  "i",     "in",     "into",  "is",
      "it",    "its",   "of",   "on",    "or",    "our",    "she",  "so",    "than",   "that",  "the",
      "their", "them",  "then", "there", "these", "they",   "this", "those", "to",     "was",   "we",
      "were",  "what",  "when", "which", "while", "who",    "whom", "will",  "with",   "would", "you",
      "your",  "do",    "does", "did",   "not",   "no",     "can",  "could", "should", "may",   "might",
      "must",  "shall", "if",   "about", "after", "before", "also", "such",  "been",   "being", "over",
      "under", "up",    "down", "out",   "off",   "said",   "says", "very",  "more",   "most",  "other",
      "some",  "any",   "all",  "each",  "both",  "only",   "own",  "same",  "just",   "how",   "why",
      "where", "here",  "my",   "me",    "him",   "us"};
  return kStop.count(w) > 0;
}

bool IsChineseStopWord(std::string_view w) {
  static const std::unordered_set<std::string_view> kStop = {
      "的",   "了",   "在",   "是",   "和",   "与",   "及",   "或",   "也", "都",   "而",   "并",   "就",
      "对",   "把",   "被",   "将",   "从",   "向",   "于",   "以",   "为", "等",   "之",   "其",   "这",
      "那",   "个",   "着",   "过",   "所",   "让",   "给",   "由",   "但", "又",   "还",   "已",   "已经",
      "我",   "你",   "他",   "她",   "它",   "我们", "他们", "她们", "说", "表示", "一个", "这个", "那个",
      "这些", "那些", "没有", "不",   "有",   "会",   "要",   "可以", "能", "中",   "上",   "下",   "里",
      "后",   "前",   "时",   "年",   "月",   "日",   "吗",   "呢",   "吧", "啊",   "得",   "地",   "因为",
      "所以", "如果", "虽然", "但是", "以及", "并且", "而且"};
  return kStop.count(w) > 0;
}

std::string EnglishFilters::Stem(const std::string& word) {
  // English word frequencies are Zipfian: a small per-thread memo of the
  // first words seen (the frequent ones, mostly) answers many calls. It
  // stays small enough for the CPU cache; a large one was slower than
  // the stemmer under a loaded searchd.
  constexpr size_t kMaxMemo = 4096;
  thread_local Xapian::Stem stemmer("english");
  thread_local std::unordered_map<std::string, std::string> memo;
  auto it = memo.find(word);
  if (it != memo.end()) return it->second;
  if (memo.size() >= kMaxMemo) return stemmer(word);
  return memo.emplace(word, stemmer(word)).first->second;
}

uint16_t EnglishFilters::StemKey(std::string_view word) {
  auto byte = [&](size_t i) -> uint16_t {
    if (i >= word.size()) return 0;
    const unsigned char c = static_cast<unsigned char>(word[i]);
    return c == 'y' ? 'i' : c;
  };
  return static_cast<uint16_t>(byte(0) << 8 | byte(1));
}

bool EnglishFilters::MayStemTo(std::string_view word, const std::vector<uint16_t>& stem_keys) {
  // Stems of two or more letters share the word's key; a one-letter stem
  // shares its first letter.
  const uint16_t two = StemKey(word), one = StemKey(word.substr(0, 1));
  for (uint16_t k : stem_keys)
    if (k == two || k == one) return true;
  return false;
}

// ---- Token prefilter ---------------------------------------------------------

namespace {

// How TokenPrefilter treats a non-ASCII code point (not a unified
// ideograph, which it reads itself).
enum CharClass : uint8_t {
  // Ends a word and a Han run, joins nothing: its NFKC-casefold form is
  // punctuation, symbols or spaces (CJK punctuation, quotes, dashes).
  kSeparator = 0,
  // The same, but its folded form holds an apostrophe, comma or period,
  // which may join the words on either side (1，000 -> 1,000 -> 1000).
  kJoiner = 1,
  // Anything else: it joins the character before it in normalisation (a
  // combining mark), folds to nothing (an ignorable, so its neighbours
  // meet), or folds to a letter, digit, Han character or mark.
  kOpaque = 2,
};

CharClass ClassOf(UChar32 c, const icu::Normalizer2* n2) {
  if (c == 0x2019) return kJoiner;  // ’ joins English words as ' does
  if (!n2->hasBoundaryBefore(c)) return kOpaque;
  std::string f;
  CharNormalizer::AppendFolded(static_cast<char32_t>(c), &f);
  if (f.empty()) return kOpaque;
  CharClass cls = kSeparator;
  for (size_t i = 0; i < f.size();) {
    const int32_t d = NextCp(f, &i);
    if (d < 0) return kOpaque;
    if (d < 0x80) {
      if (IsLatinWordChar(static_cast<char32_t>(d))) return kOpaque;
      if (d == '\'' || d == ',' || d == '.') cls = kJoiner;
      continue;
    }
    if (d == 0x2019) {
      cls = kJoiner;
      continue;
    }
    if (u_isalnum(d) || IsHanCodePoint(static_cast<char32_t>(d)) || (U_GET_GC_MASK(d) & U_GC_M_MASK) ||
        !n2->hasBoundaryBefore(d))
      return kOpaque;
  }
  return cls;
}

// ClassOf for every BMP code point (64 KB, built once: ~65,000
// normalisations); kOpaque for all if ICU's normaliser is missing.
const std::vector<uint8_t>& CharClasses() {
  static const std::vector<uint8_t> classes = [] {
    std::vector<uint8_t> t(0x10000, kOpaque);
    const icu::Normalizer2* n2 = NfkcCasefold();
    if (!n2) return t;
    for (UChar32 c = 0x80; c < 0x10000; ++c)
      if (!IsUnifiedIdeograph(c) && !(c >= 0xD800 && c <= 0xDFFF)) t[static_cast<size_t>(c)] = ClassOf(c, n2);
    return t;
  }();
  return classes;
}

CharClass ClassOfCp(int32_t c) {
  if (c < 0x10000) return static_cast<CharClass>(CharClasses()[static_cast<size_t>(c)]);
  const icu::Normalizer2* n2 = NfkcCasefold();
  return n2 ? ClassOf(c, n2) : kOpaque;
}

bool IsAsciiAlnum(unsigned char b) { return IsLatinWordChar(b); }
char AsciiLower(unsigned char b) { return static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b); }

}  // namespace

TokenPrefilter::TokenPrefilter(std::vector<char32_t> han_singles,
                               std::vector<std::pair<char32_t, char32_t>> han_pairs,
                               std::vector<std::string> stems)
    : stems_(std::move(stems)) {
  auto mark = [&](char32_t c) { han_bits_[(c % 4096) / 64] |= uint64_t{1} << (c % 64); };
  for (char32_t c : han_singles) {
    singles_.push_back(c);
    mark(c);
  }
  for (auto [a, b] : han_pairs) {
    pairs_.push_back(uint64_t{a} << 32 | b);
    firsts_.push_back(a);
    mark(a);
  }
  for (std::vector<uint64_t>* v : {&singles_, &pairs_, &firsts_}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  std::sort(stems_.begin(), stems_.end());
  for (const std::string& st : stems_) stem_keys_.push_back(EnglishFilters::StemKey(st));
  CharClasses();  // built here, not inside a scan
}

bool TokenPrefilter::Listed(const std::vector<uint64_t>& sorted, uint64_t key) const {
  return std::binary_search(sorted.begin(), sorted.end(), key);
}

int TokenPrefilter::LatinAt(std::string_view text, size_t from, size_t i, std::vector<Token>* found,
                            size_t* resume) const {
  if (stems_.empty()) return 0;  // the analysis emits no English word at all
  // First the cheap test of MayStemTo on the word's first two bytes. After
  // EnglishFilters::StripPossessive they are this character and either the
  // next one (a decimal point: 3.5) or the next letter or digit past a
  // joining ' , or . (o'neill -> on, u.s. -> us, 1,000 -> 10). Both are
  // tried; MayStemTo also tries the first letter alone.
  const size_t n = text.size();
  auto at = [&](size_t k) -> int {  // the byte at k: -1 past the end, -2 if not ASCII
    if (k >= n) return -1;
    const auto b = static_cast<unsigned char>(text[k]);
    return b < 0x80 ? b : -2;
  };
  char raw[2] = {AsciiLower(static_cast<unsigned char>(text[i])), 0};
  char strip[2] = {raw[0], 0};
  const int b = at(i + 1);
  if (b == -2) return -1;
  if (b >= 0 && IsAsciiAlnum(static_cast<unsigned char>(b))) {
    raw[1] = strip[1] = AsciiLower(static_cast<unsigned char>(b));
  } else if (b == '.' || b == ',' || b == '\'') {
    const int b2 = at(i + 2);
    if (b2 == -2) return -1;
    if (b2 >= 0 && IsAsciiAlnum(static_cast<unsigned char>(b2))) {
      raw[1] = static_cast<char>(b);
      strip[1] = AsciiLower(static_cast<unsigned char>(b2));
    }
  }
  auto may = [&](const char* w) {
    return EnglishFilters::MayStemTo(std::string_view(w, w[1] ? 2 : 1), stem_keys_);
  };
  if (!may(raw) && !may(strip)) return 0;
  // Then the word itself, as the analyzer finds it, if the text around lets
  // that be told here. A word begins here unless a joiner stands before it
  // (o'neill: at n, the analyzer's word began at o).
  if (i > from) {
    const auto p = static_cast<unsigned char>(text[i - 1]);
    if (p == '\'' || p == '.' || p == ',') return -1;
    if (p >= 0x80) {
      size_t q = i - 1;
      while (q > from && (static_cast<unsigned char>(text[q]) & 0xC0) == 0x80) --q;
      size_t k = q;
      const int32_t c = NextCp(text, &k);
      if (k != i || (c >= 0 && !IsUnifiedIdeograph(c) && ClassOfCp(c) != kSeparator)) return -1;
    }
  }
  // Its run ends at a space, a Han character or a separator (which the
  // segmenter's joins do not look past); other non-ASCII text: no telling.
  size_t e = i;
  while (e < n) {
    const auto c = static_cast<unsigned char>(text[e]);
    if (c < 0x80) {
      if (IsSegmentSpace(static_cast<char>(c))) break;
      ++e;
      continue;
    }
    size_t k = e;
    const int32_t cp = NextCp(text, &k);
    if (cp >= 0 && (IsUnifiedIdeograph(cp) || ClassOfCp(cp) == kSeparator)) break;
    return -1;
  }
  thread_local std::vector<std::pair<uint32_t, uint32_t>> words;
  EnglishSegmenter::Words(text.substr(i, e - i), &words);
  if (words.empty() || words[0].first != 0) return -1;
  const size_t len = words[0].second;
  *resume = i + len;
  std::string w(text.substr(i, len));
  for (char& c : w) c = AsciiLower(static_cast<unsigned char>(c));
  if (!EnglishFilters::StripPossessive(&w) || w.size() > kMaxLatinWordBytes) return 0;
  std::string stem = EnglishFilters::Stem(w);
  if (!std::binary_search(stems_.begin(), stems_.end(), stem)) return 0;
  Token t;
  t.text = std::move(stem);
  t.raw = std::move(w);
  t.begin = static_cast<uint32_t>(i);
  t.end = static_cast<uint32_t>(i + len);
  t.script = Script::kLatin;
  t.kind = TokenKind::kWord;
  found->push_back(std::move(t));
  return 1;
}

size_t TokenPrefilter::Next(std::string_view text, size_t from, std::vector<Token>* found,
                            size_t* resume) const {
  found->clear();
  const std::vector<uint8_t>& classes = CharClasses();
  // Whether the code point at byte k joins the one before it in
  // normalisation (then a token ending before k ends after it).
  auto joins_previous = [&](size_t k) {
    if (k >= text.size() || static_cast<unsigned char>(text[k]) < 0x80) return false;
    return JoinsPrevious(NextCp(text, &k));
  };
  bool in_word = false;  // the previous character was an ASCII letter or digit
  for (size_t i = from; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (IsAsciiAlnum(b)) {
        if (!in_word) {
          size_t after = i + 1;
          const int r = LatinAt(text, from, i, found, &after);
          if (r != 0) {
            *resume = r > 0 ? after : i;
            return i;
          }
          // Not of interest: go on after the word, where one was told.
          if (after > i + 1) {
            i = after;
            in_word = false;
            continue;
          }
        }
        in_word = true;
      } else {
        in_word = false;
      }
      ++i;
      continue;
    }
    in_word = false;
    const size_t start = i;
    const int32_t c = NextCp(text, &i);
    if (c < 0) continue;  // invalid UTF-8: a space to the analyzer
    *resume = start;
    if (!IsUnifiedIdeograph(c)) {
      if ((c < 0x10000 ? static_cast<CharClass>(classes[static_cast<size_t>(c)]) : ClassOfCp(c)) == kOpaque)
        return start;
      continue;
    }
    const char32_t f = CharNormalizer::FoldHan(static_cast<char32_t>(c));
    if (!(han_bits_[(f % 4096) / 64] >> (f % 64) & 1)) continue;
    const bool single = Listed(singles_, f);
    if (!single && !Listed(firsts_, f)) continue;
    // The character token, and the bigram with the next character of the
    // run (a Han character that follows directly; a separator ends the run,
    // other characters may extend it).
    if (joins_previous(i)) return start;
    size_t j = i;
    const int32_t c2 = j < text.size() ? NextCp(text, &j) : -1;
    bool pair = false;
    if (c2 >= 0 && IsUnifiedIdeograph(c2)) {
      pair = Listed(pairs_, uint64_t{f} << 32 | CharNormalizer::FoldHan(static_cast<char32_t>(c2)));
      if (pair && joins_previous(j)) return start;
    } else if (c2 >= 0x80 && ClassOfCp(c2) == kOpaque) {
      return start;
    }
    if (!single && !pair) continue;
    Token t;
    t.script = Script::kHan;
    t.begin = static_cast<uint32_t>(start);
    if (single) {
      t.kind = TokenKind::kWord;
      t.end = static_cast<uint32_t>(i);
      t.text.clear();
      AppendUtf8(f, &t.text);
      found->push_back(t);
    }
    if (pair) {
      t.kind = TokenKind::kBigram;
      t.end = static_cast<uint32_t>(j);
      t.text.clear();
      AppendUtf8(f, &t.text);
      AppendUtf8(CharNormalizer::FoldHan(static_cast<char32_t>(c2)), &t.text);
      found->push_back(t);
    }
    *resume = i;
    return start;
  }
  return std::string_view::npos;
}

size_t TokenPrefilter::Find(std::string_view text, size_t from) const {
  std::vector<Token> found;
  size_t resume = 0;
  return Next(text, from, &found, &resume);
}

// ---- Analyzer --------------------------------------------------------------

uint32_t Analyzer::Analyze(std::string_view text, const AnalyzeOptions& opt,
                           const std::function<void(const Token&)>& sink) const {
  thread_local NormalizedText nt;
  thread_local std::vector<Segment> segs;
  thread_local std::vector<std::pair<uint32_t, uint32_t>> words;
  thread_local std::vector<uint32_t> char_starts;
  CharNormalizer::Normalize(text, &nt);
  Segmenter::SplitScripts(nt.text, &segs);
  uint32_t pos = opt.first_pos - 1;
  Token tok;
  for (const Segment& seg : segs) {
    std::string_view run(nt.text.data() + seg.begin, seg.end - seg.begin);
    if (seg.script == Script::kLatin) {
      EnglishSegmenter::Words(run, &words);
      for (auto [b, e] : words) {
        const std::string_view raw = run.substr(b, e - b);
        // An acronym (u.s., i.t.) is never a stop word, even when its
        // folded form ("us", "it") is one.
        bool acronym = false, punct = false;
        for (char c : raw) {
          acronym |= c == '.';
          punct |= c == '\'' || c == ',' || c == '.' || c == '\xE2';
        }
        std::string w(raw);
        if (punct) {
          if (!EnglishFilters::StripPossessive(&w) || w.size() > kMaxLatinWordBytes) continue;
        } else if (w.size() > kMaxLatinWordBytes) {
          continue;  // without apostrophes, commas or dots: its own stripped form
        }
        if (opt.drop_stopwords && !acronym && EnglishFilters::IsStopWord(w)) continue;
        ++pos;
        // Cannot match a wanted stem: not emitted, but it holds its position.
        if (opt.stem_keys && !EnglishFilters::MayStemTo(w, *opt.stem_keys)) continue;
        tok.script = Script::kLatin;
        tok.kind = TokenKind::kWord;
        tok.pos = pos;
        tok.begin = nt.begin_of[seg.begin + b];
        tok.end = nt.end_of[seg.begin + e - 1];
        tok.text = opt.stem ? EnglishFilters::Stem(w) : w;
        tok.raw = std::move(w);
        sink(tok);
      }
      continue;
    }
    // Han run.
    char_starts.clear();
    for (size_t i = 0; i < run.size();) {
      char_starts.push_back(static_cast<uint32_t>(i));
      NextCp(run, &i);
    }
    char_starts.push_back(static_cast<uint32_t>(run.size()));
    if (opt.han_words) {
      ChineseSegmenter::Words(run, lex_, &words);
    } else {  // every character a word (snippets)
      words.clear();
      for (size_t k = 0; k + 1 < char_starts.size(); ++k)
        words.emplace_back(char_starts[k], char_starts[k + 1]);
    }
    size_t ci = 0;  // index into char_starts of the current char
    tok.raw.clear();
    for (auto [b, e] : words) {
      tok.script = Script::kHan;
      tok.kind = TokenKind::kWord;
      tok.pos = ++pos;
      tok.begin = nt.begin_of[seg.begin + b];
      tok.end = nt.end_of[seg.begin + e - 1];
      tok.text.assign(run.substr(b, e - b));
      sink(tok);
      if (!opt.bigrams) continue;
      while (ci + 1 < char_starts.size() && char_starts[ci] < e) {
        if (ci + 2 < char_starts.size()) {
          const uint32_t bb = char_starts[ci], be = char_starts[ci + 2];
          tok.kind = TokenKind::kBigram;
          tok.begin = nt.begin_of[seg.begin + bb];
          tok.end = nt.end_of[seg.begin + be - 1];
          tok.text.assign(run.substr(bb, be - bb));
          sink(tok);
        }
        ++ci;
      }
    }
  }
  return pos;
}

std::string Analyzer::Dump(std::string_view text, const AnalyzeOptions& opt) const {
  std::string out;
  Analyze(text, opt, [&](const Token& t) {
    if (!out.empty()) out += ' ';
    if (t.kind == TokenKind::kBigram) out += '#';
    out += t.text;
    out += '[';
    out += std::to_string(t.pos);
    out += ']';
  });
  return out;
}

}  // namespace tongwen
