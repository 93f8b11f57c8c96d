// Text analysis: each stage alone, then the whole chain, table-driven.
//
// Dump() format: "term[pos]" space separated, bigrams as "#term[pos]";
// English terms are Snowball stems, Han terms are Simplified-folded.
#include "tongwen/analysis.h"

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include "test_util.h"
#include "text/token_prefilter.h"

#include "tongwen/lexicon.h"

using tongwen::AnalyzeOptions;
using tongwen::Analyzer;
using tongwen::CharNormalizer;
using tongwen::ChineseSegmenter;
using tongwen::EnglishFilters;
using tongwen::EnglishSegmenter;
using tongwen::NormalizedText;
using tongwen::Script;
using tongwen::Segment;
using tongwen::Segmenter;
using tongwen::Token;
using tongwen::TokenKind;

namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

std::string Utf8(char32_t cp) {
  std::string s;
  tongwen::AppendUtf8(cp, &s);
  return s;
}

// Printable form of arbitrary bytes, for failure messages.
std::string Escape(std::string_view s) {
  std::string out;
  char buf[8];
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Norm(std::string_view s) {
  NormalizedText nt;
  CharNormalizer::Normalize(s, &nt);
  return nt.text;
}

std::string StripJoiners(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.' || s[i] == ',' || s[i] == '\'') continue;
    if (s.compare(i, 3, "\xE2\x80\x99") == 0) {
      i += 2;
      continue;
    }
    out += s[i];
  }
  return out;
}

// General token-stream rules in the spirit of Lucene's BaseTokenStreamTestCase.
// Returns an empty string if all hold, else the first violation.
std::string CheckTokenRules(const Analyzer& an, std::string_view text, const AnalyzeOptions& opt,
                            size_t* ntokens = nullptr) {
  std::string err;
  auto fail = [&](const Token& t, const std::string& why) {
    if (!err.empty()) return;
    std::ostringstream o;
    o << why << ": token '" << Escape(t.text) << "' pos=" << t.pos << " [" << t.begin << "," << t.end
      << ") kind=" << (t.kind == TokenKind::kBigram ? "bigram" : "word") << " in \"" << Escape(text) << "\"";
    err = o.str();
  };
  bool have_word = false;
  uint32_t word_pos = opt.first_pos - 1, word_begin = 0, word_end = 0, last_pos = opt.first_pos - 1;
  uint32_t ret = an.Analyze(text, opt, [&](const Token& t) {
    if (ntokens) ++*ntokens;
    if (!(t.begin < t.end)) fail(t, "empty or inverted offsets");
    if (t.end > text.size()) fail(t, "end past the text");
    if (t.text.empty()) fail(t, "empty term");
    if (!tongwen::IsValidUtf8(t.text)) fail(t, "term is not valid UTF-8");
    if (t.pos < opt.first_pos) fail(t, "position before first_pos");
    if (t.pos < last_pos) fail(t, "position went backwards");
    last_pos = t.pos;
    if (t.kind == TokenKind::kWord) {
      if (t.pos != word_pos + 1) fail(t, "word positions are not consecutive");
      if (have_word && t.begin < word_begin) fail(t, "word begin offset went backwards");
      if (have_word && t.end < word_end) fail(t, "word end offset went backwards");
      have_word = true;
      word_pos = t.pos;
      word_begin = t.begin;
      word_end = t.end;
    } else {
      if (t.script != Script::kHan) fail(t, "bigram that is not Han");
      if (!have_word || t.pos != word_pos) fail(t, "bigram not at the position of its word");
      if (t.begin < word_begin || t.begin >= word_end) fail(t, "bigram does not start inside its word");
      if (tongwen::DecodeUtf8(t.text).size() != 2) fail(t, "bigram is not two characters");
    }
    if (t.end > text.size() || t.begin >= t.end) return;
    // The original slice, normalised again, must contain the term: offsets
    // point at the text the term came from (what highlighting relies on).
    const std::string slice = Norm(text.substr(t.begin, t.end - t.begin));
    if (t.script == Script::kHan) {
      for (char32_t cp : tongwen::DecodeUtf8(t.text))
        if (!tongwen::IsHanCodePoint(cp)) fail(t, "non-Han character in a Han term");
      if (slice.find(t.text) == std::string::npos) fail(t, "original slice does not fold to the term");
    } else {
      if (t.raw.empty()) fail(t, "Latin token without raw text");
      if (t.raw.find_first_of(" \t\r\n") != std::string::npos) fail(t, "whitespace inside a Latin term");
      if (StripJoiners(slice).find(StripJoiners(t.raw)) == std::string::npos)
        fail(t, "original slice does not contain the word");
    }
  });
  if (err.empty() && ret != word_pos) {
    err = "Analyze returned " + std::to_string(ret) + " but the last word position was " +
          std::to_string(word_pos) + " in \"" + Escape(text) + "\"";
  }
  return err;
}

struct Row {
  std::string text;
  std::string dump;
};

const tongwen::Lexicon* Mini() { return &testutil::MiniLexicon(); }

}  // namespace

// ---- Stage 1: CharNormalizer ------------------------------------------------

TEST_CASE("CharNormalizer::FoldHan folds Traditional to Simplified, identity otherwise",
          "[analysis][normalizer]") {
  const std::vector<std::pair<char32_t, char32_t>> rows = {
      {U'國', U'国'},
      {U'臺', U'台'},
      {U'颱', U'台'},
      {U'檯', U'台'},
      {U'說', U'说'},
      {U'灣', U'湾'},
      {U'電', U'电'},
      {U'積', U'积'},
      {U'預', U'预'},
      {U'髮', U'发'},
      {U'国', U'国'},  // already
                       // Simplified
      {U'蔡', U'蔡'},  // same in both scripts
      {U'A', U'A'},
      {U'の', U'の'},
      {U'한', U'한'},
      {0x1F35C, 0x1F35C},
  };
  for (auto [in, want] : rows) {
    INFO(Utf8(in));
    CHECK(CharNormalizer::FoldHan(in) == want);
  }
}

TEST_CASE("CharNormalizer::AppendFolded case-folds, NFKC-maps and folds Han", "[analysis][normalizer]") {
  const std::vector<std::pair<char32_t, std::string>> rows = {
      {U'A', "a"},  {U'z', "z"},   {U'Ｕ', "u"}, {U'１', "1"}, {U'國', "国"}, {U'ß', "ss"},
      {U'ﬁ', "fi"}, {U'Ⅻ', "xii"}, {U'①', "1"},  {U'（', "("}, {U'ｶ', "カ"},
  };
  for (const auto& [cp, want] : rows) {
    INFO(Utf8(cp));
    std::string out = "x";
    CharNormalizer::AppendFolded(cp, &out);
    CHECK(out == "x" + want);
  }
}

TEST_CASE("CharNormalizer::Normalize maps every output byte back to its original bytes",
          "[analysis][normalizer]") {
  NormalizedText nt;
  auto check_maps = [&](const std::vector<uint32_t>& b, const std::vector<uint32_t>& e) {
    REQUIRE(nt.begin_of.size() == nt.text.size());
    REQUIRE(nt.end_of.size() == nt.text.size());
    CHECK(nt.begin_of == b);
    CHECK(nt.end_of == e);
  };

  SECTION("ASCII: lower-cased, one byte to one byte") {
    CharNormalizer::Normalize("AbC", &nt);
    CHECK(nt.text == "abc");
    check_maps({0, 1, 2}, {1, 2, 3});
  }
  SECTION("full-width letters: each output byte maps back to the 3 original bytes") {
    CharNormalizer::Normalize("ＵＳＢ", &nt);
    CHECK(nt.text == "usb");
    check_maps({0, 3, 6}, {3, 6, 9});
  }
  SECTION("Traditional Han: folded, each of the 3 output bytes maps to the whole character") {
    CharNormalizer::Normalize("國防", &nt);
    CHECK(nt.text == "国防");
    check_maps({0, 0, 0, 3, 3, 3}, {3, 3, 3, 6, 6, 6});
  }
  SECTION("decomposed accent: base + combining mark form one chunk") {
    CharNormalizer::Normalize("e\xCC\x81x", &nt);  // e + U+0301, x
    CHECK(nt.text == "\xC3\xA9x");                 // é x
    check_maps({0, 0, 3}, {3, 3, 4});
  }
  SECTION("expansions: every output byte maps to the single original character") {
    CharNormalizer::Normalize("ﬁ", &nt);
    CHECK(nt.text == "fi");
    check_maps({0, 0}, {3, 3});
    CharNormalizer::Normalize("㍻", &nt);  // square era name Heisei
    CHECK(nt.text == "平成");
    check_maps({0, 0, 0, 0, 0, 0}, {3, 3, 3, 3, 3, 3});
  }
  SECTION("invalid UTF-8 bytes become a space") {
    CharNormalizer::Normalize(
        "a\xFF"
        "b",
        &nt);
    CHECK(nt.text == "a b");
    check_maps({0, 1, 2}, {1, 2, 3});
    CharNormalizer::Normalize("\xE5\x9C", &nt);  // truncated 3-byte sequence
    CHECK(nt.text.find_first_not_of(' ') == std::string::npos);
    CHECK_FALSE(nt.text.empty());
  }
  SECTION("default-ignorable characters vanish but the maps stay aligned") {
    CharNormalizer::Normalize("co\xC2\xADop", &nt);  // soft hyphen
    CHECK(nt.text == "coop");
    check_maps({0, 1, 4, 5}, {1, 2, 5, 6});
  }
  SECTION("NUL is kept as a character") {
    CharNormalizer::Normalize(std::string_view("a\0b", 3), &nt);
    CHECK(nt.text == std::string("a\0b", 3));
  }
  SECTION("empty input") {
    nt.text = "stale";
    nt.begin_of = {1};
    CharNormalizer::Normalize("", &nt);
    CHECK(nt.text.empty());
    CHECK(nt.begin_of.empty());
    CHECK(nt.end_of.empty());
  }
}

// ---- Stage 2: script split and word segmentation ---------------------------

TEST_CASE("Segmenter::SplitScripts splits normalised text into script runs", "[analysis][segmenter]") {
  auto split = [](std::string_view s) {
    std::vector<Segment> segs;
    Segmenter::SplitScripts(s, &segs);
    std::string out;
    for (const Segment& g : segs) {
      if (!out.empty()) out += ' ';
      out += (g.script == Script::kHan ? "H[" : "L[") + std::string(s.substr(g.begin, g.end - g.begin)) + "]";
    }
    return out;
  };
  CHECK(split("") == "");
  CHECK(split("   ") == "");
  CHECK(split("abc") == "L[abc]");
  CHECK(split("taiwan 总统 election") == "L[taiwan] H[总统] L[election]");
  CHECK(split("abc国防def") == "L[abc] H[国防] L[def]");
  CHECK(split("台北\t高雄\n花莲") == "H[台北] H[高雄] H[花莲]");
  CHECK(split("台北\xE3\x80\x80高雄") == "H[台北] H[高雄]");  // U+3000 ideographic space
  // Punctuation stays inside Latin runs: the English segmenter needs it for
  // 1,000 / 3.5 / u.s. / don't.
  CHECK(split("1,000 u.s. don't") == "L[1,000] L[u.s.] L[don't]");
  CHECK(split("台积电(tsmc)") == "H[台积电] L[(tsmc)]");
  // Kana and Hangul are handled by the CJK (Han) path.
  CHECK(split("日本語のテキスト") == "H[日本語のテキスト]");
  CHECK(split("한국어") == "H[한국어]");

  // Runs are in order, non-empty and non-overlapping.
  std::vector<Segment> segs;
  const std::string s = "a 国 b,c 防预 d";
  Segmenter::SplitScripts(s, &segs);
  REQUIRE(segs.size() == 5);
  for (size_t i = 0; i < segs.size(); ++i) {
    CHECK(segs[i].begin < segs[i].end);
    CHECK(segs[i].end <= s.size());
    if (i > 0) CHECK(segs[i - 1].end <= segs[i].begin);
  }
}

TEST_CASE("EnglishSegmenter::Words finds words, joins apostrophes, decimals and acronyms",
          "[analysis][segmenter]") {
  auto words = [](std::string_view s) {
    Ranges r;
    EnglishSegmenter::Words(s, &r);
    std::string out;
    for (auto [b, e] : r) out += "[" + std::string(s.substr(b, e - b)) + "]";
    return out;
  };
  const std::vector<Row> rows = {
      {"", ""},
      {"...", ""},
      {"hello world", "[hello][world]"},
      {"hello,world", "[hello][world]"},
      {"don't", "[don't]"},
      {"don\xE2\x80\x99t", "[don\xE2\x80\x99t]"},  // typographic apostrophe
      {"tsai's", "[tsai's]"},
      {"dogs' bones", "[dogs][bones]"},  // trailing apostrophe is not part of the word
      {"'quoted'", "[quoted]"},
      {"3.5 1,000 1,000,000.50", "[3.5][1,000][1,000,000.50]"},
      {"end. 3. next", "[end][3][next]"},  // sentence dots are not joined
      {"u.s. u.s.a. e.g.", "[u.s][u.s.a][e.g]"},
      {"x.com", "[x][com]"},  // not an acronym: a letter run follows the dot
      {"ph.d.", "[ph][d]"},
      {"wen-je covid-19", "[wen][je][covid][19]"},
      {"na\xC3\xAFve \xD0\xBC\xD0\xB8\xD1\x80", "[na\xC3\xAFve][\xD0\xBC\xD0\xB8\xD1\x80]"},  // naïve мир
  };
  for (const Row& r : rows) {
    INFO("input: " << r.text);
    CHECK(words(r.text) == r.dump);
  }
}

TEST_CASE("ChineseSegmenter::Words: ICU words, refined by a lexicon", "[analysis][segmenter]") {
  auto words = [](std::string_view s, const tongwen::Lexicon* lex) {
    Ranges r;
    ChineseSegmenter::Words(s, lex, &r);
    std::string out;
    for (auto [b, e] : r) out += (out.empty() ? "" : "|") + std::string(s.substr(b, e - b));
    return out;
  };
  // {input (already normalised), without lexicon, with the mini lexicon}
  struct SegRow {
    const char* text;
    const char* plain;
    const char* lex;
  };
  const std::vector<SegRow> rows = {
      {"国防预算", "国防|预算", "国防|预算"},
      // Names ICU does not know come out as single characters; the lexicon
      // joins them back.
      {"台积电", "台|积|电", "台积电"},
      {"柯文哲", "柯|文|哲", "柯文哲"},
      {"台北市长柯文哲", "台北市|长|柯|文|哲", "台北市|长|柯文哲"},
      // Only runs of single characters are re-segmented: ICU's 英文 hides the
      // name 蔡英文 (a documented limitation; bigrams still match it).
      {"蔡英文", "蔡|英文", "蔡|英文"},
      {"台", "台", "台"},
  };
  for (const SegRow& r : rows) {
    INFO("input: " << r.text);
    CHECK(words(r.text, nullptr) == r.plain);
    CHECK(words(r.text, Mini()) == r.lex);
  }

  SECTION("the words always partition the run exactly (no lost or repeated characters)") {
    const char32_t pool[] = {U'台', U'积', U'电', U'国', U'防', U'预', U'算', U'柯', U'文', U'哲', U'蔡',
                             U'英', U'的', U'了', U'在', U'美', U'元', U'日', U'本', U'の', U'한', U'㐀'};
    std::mt19937 rng(20240601);
    for (int it = 0; it < 500; ++it) {
      std::string run;
      const int n = 1 + static_cast<int>(rng() % 12);
      for (int k = 0; k < n; ++k) run += Utf8(pool[rng() % (sizeof pool / sizeof pool[0])]);
      for (const tongwen::Lexicon* lex : {static_cast<const tongwen::Lexicon*>(nullptr), Mini()}) {
        Ranges r;
        ChineseSegmenter::Words(run, lex, &r);
        INFO("run: " << run << (lex ? " (lexicon)" : ""));
        REQUIRE_FALSE(r.empty());
        uint32_t at = 0;
        for (auto [b, e] : r) {
          CHECK(b == at);
          CHECK(b < e);
          at = e;
        }
        CHECK(at == run.size());
      }
    }
  }
}

// ---- Stage 3: English filters ----------------------------------------------

TEST_CASE("EnglishFilters::StripPossessive strips possessives, apostrophes and separators",
          "[analysis][filters]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"tsai's", "tsai"},
      {"tsai\xE2\x80\x99s", "tsai"},
      {"james's", "james"},
      {"dogs'", "dogs"},
      {"don't", "dont"},
      {"o'neill", "oneill"},
      {"rock'n'roll", "rocknroll"},
      {"1,000", "1000"},
      {"1,000,000.50", "1000000.50"},
      {"3.5", "3.5"},  // a decimal point between digits stays
      {"u.s", "us"},
      {"u.s.a", "usa"},
      {"taiwan", "taiwan"},
  };
  for (const auto& [in, want] : rows) {
    INFO(in);
    std::string w = in;
    CHECK(EnglishFilters::StripPossessive(&w));
    CHECK(w == want);
  }
  for (std::string nothing_left : {"'", "'s", "\xE2\x80\x99s", "''"}) {
    INFO(nothing_left);
    CHECK_FALSE(EnglishFilters::StripPossessive(&nothing_left));
    CHECK(nothing_left.empty());
  }
}

TEST_CASE("EnglishFilters::IsStopWord and IsChineseStopWord", "[analysis][filters]") {
  for (const char* w : {"the", "a", "of", "and", "is", "was", "to", "in", "said"}) {
    INFO(w);
    CHECK(EnglishFilters::IsStopWord(w));
  }
  for (const char* w : {"taiwan", "budget", "president", "election", "", "The"}) {
    INFO(w);
    CHECK_FALSE(EnglishFilters::IsStopWord(w));  // input is expected lower-case
  }
  CHECK(tongwen::IsChineseStopWord("的"));
  CHECK(tongwen::IsChineseStopWord("了"));
  CHECK_FALSE(tongwen::IsChineseStopWord("国防"));
  CHECK_FALSE(tongwen::IsChineseStopWord("台湾"));
}

TEST_CASE("EnglishFilters::Stem is the Snowball English stemmer", "[analysis][filters]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"elections", "elect"},    {"election", "elect"},  {"running", "run"},     {"budgets", "budget"},
      {"legislative", "legisl"}, {"minister", "minist"}, {"economy", "economi"}, {"people", "peopl"},
      {"president", "presid"},   {"taiwan", "taiwan"},   {"3.5", "3.5"},         {"", ""},
  };
  for (const auto& [in, want] : rows) {
    INFO(in);
    CHECK(EnglishFilters::Stem(in) == want);
  }
}

TEST_CASE("EnglishFilters::MayStemTo holds for every word and its own stem (random words, exceptions)",
          "[analysis][filters][property]") {
  // The rule snippets rely on to skip stemming. Possessives are stripped
  // before stemming (StripPossessive), so words here have no apostrophes.
  std::vector<std::string> words = {"dying",  "lying", "tying",   "skies", "skis",    "ugly", "early",
                                    "only",   "idly",  "gently",  "news",  "sky",     "by",   "cry",
                                    "flying", "yes",   "yearly",  "ys",    "y",       "a",    "yields",
                                    "ay",     "iy",    "analyse", "eyes",  "syllabi", "ions", "hyper"};
  std::mt19937 rng(20261126);
  const std::vector<std::string> suffixes = {"",     "s",   "es",   "ies",   "y",   "ly",  "ed",    "ing",
                                             "ying", "ied", "ness", "ation", "ful", "eed", "ement", "izing"};
  for (int i = 0; i < 20000; ++i) {
    std::string w;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) w += "aeiouybcdlnrsty"[rng() % 15];
    w += suffixes[rng() % suffixes.size()];
    words.push_back(w);
  }
  for (const std::string& w : words) {
    INFO(w << " -> " << EnglishFilters::Stem(w));
    const std::string stem = EnglishFilters::Stem(w);
    CHECK(EnglishFilters::MayStemTo(w, {EnglishFilters::StemKey(stem)}));
    // And the filter is selective: another first letter never may.
    CHECK_FALSE(EnglishFilters::MayStemTo(w, {EnglishFilters::StemKey("qu"), EnglishFilters::StemKey("q")}));
  }
}

TEST_CASE("Analyzer: stem_keys emits only words that may stem to a wanted term", "[analysis][analyzer]") {
  const Analyzer an;
  const std::vector<uint16_t> keys = {EnglishFilters::StemKey("elect")};
  AnalyzeOptions o;
  o.stem_keys = &keys;
  // "budgets" cannot stem to anything with key "el": skipped, position kept.
  CHECK(an.Dump("Elections budgets elected 國防", o) == "elect[1] elect[3] 国防[4] #国防[4]");
  CHECK(EnglishFilters::StemKey("dying") == EnglishFilters::StemKey("di"));
  CHECK(EnglishFilters::StemKey("a") != EnglishFilters::StemKey("ab"));
}

// ---- The whole chain ----------------------------------------------------------

TEST_CASE("Analyzer: table of inputs and their dumps (no lexicon)", "[analysis][analyzer]") {
  const Analyzer an;
  const std::vector<Row> rows = {
      {"", ""},
      {"!!! ... ？", ""},
      // Full-width forms and case folding.
      {"ＵＳＢ", "usb[1]"},
      {"USB Drive", "usb[1] drive[2]"},
      {"ＡＢＣ１２３", "abc123[1]"},
      {"３．５％", "3.5[1]"},
      {"Ｈｅｌｌｏ，世界！", "hello[1] 世界[2] #世界[2]"},
      {"THE U.K. AND the E.U.", "the[1] uk[2] and[3] the[4] eu[5]"},
      {"café Café CAFÉ cafe\xCC\x81", "café[1] café[2] café[3] café[4]"},
      {"Straße ﬁnance", "strass[1] financ[2]"},
      {"co\xC2\xADoperate", "cooper[1]"},  // soft hyphen inside a word
      // Traditional -> Simplified before segmentation.
      {"國防預算", "国防[1] #国防[1] #防预[1] 预算[2] #预算[2]"},
      {"国防预算", "国防[1] #国防[1] #防预[1] 预算[2] #预算[2]"},
      {"颱風來了", "台风[1] #台风[1] #风来[1] 来[2] #来了[2] 了[3]"},
      // Mixed script.
      {"Taiwan 總統 election", "taiwan[1] 总统[2] #总统[2] elect[3]"},
      {"台積電（TSMC）", "台[1] #台积[1] 积[2] #积电[2] 电[3] tsmc[4]"},
      {"2024年", "2024[1] 年[2]"},
      {"台北101", "台北[1] #台北[1] 101[2]"},
      // Bigrams run across word boundaries but never across punctuation or
      // script changes.
      {"台北，高雄。", "台北[1] #台北[1] 高雄[2] #高雄[2]"},
      {"立法院通過國防預算",
       "立法院[1] #立法[1] #法院[1] #院通[1] 通过[2] #通过[2] #过国[2] 国防[3] #国防[3] #防预[3] 预算[4] "
       "#预算[4]"},
      // Possessives and apostrophes.
      {"Tsai's", "tsai[1]"},
      {"President Tsai\xE2\x80\x99s speech", "presid[1] tsai[2] speech[3]"},
      {"the dogs' bones", "the[1] dog[2] bone[3]"},
      {"don't O'Neill", "dont[1] oneil[2]"},
      {"'quoted'", "quot[1]"},
      // Acronyms, decimals, thousands.
      {"U.S. economy", "us[1] economi[2]"},
      {"U.S.A.", "usa[1]"},
      {"3.5 percent of 1,000 people", "3.5[1] percent[2] of[3] 1000[4] peopl[5]"},
      {"$1,000,000.50", "1000000.50[1]"},
      // Hyphenated names split into their parts.
      {"Ko Wen-je", "ko[1] wen[2] je[3]"},
      {"COVID-19", "covid[1] 19[2]"},
      // Compatibility characters.
      {"Ⅻ ① ㍻", "xii[1] 1[2] 平成[3] #平成[3]"},
      // Symbols, emoji, invalid bytes and NUL separate words and vanish.
      {"I love \xF0\x9F\x8D\x9C ramen", "i[1] love[2] ramen[3]"},
      {"ab\xFF"
       "cd",
       "ab[1] cd[2]"},
      {std::string("ab\0cd", 5), "ab[1] cd[2]"},
      {"\xE4\xB8\xAD\xF0\x9F\x8D\x9C\xE6\x96\x87", "中[1] 文[2]"},  // 中🍜文: no bigram across the emoji
  };
  for (const Row& r : rows) {
    INFO("input: \"" << Escape(r.text) << "\"");
    CHECK(an.Dump(r.text) == r.dump);
    CHECK(CheckTokenRules(an, r.text, {}) == "");
  }
}

TEST_CASE("Analyzer: Traditional and Simplified text give identical dumps", "[analysis][analyzer]") {
  const Analyzer an;
  const Analyzer lex(Mini());
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"國防預算", "国防预算"},
      {"臺灣總統選舉", "台湾总统选举"},
      {"台積電在高雄設廠", "台积电在高雄设厂"},
      {"立法院議員說", "立法院议员说"},
  };
  for (const auto& [trad, simp] : pairs) {
    INFO(trad << " / " << simp);
    CHECK(an.Dump(trad) == an.Dump(simp));
    CHECK(lex.Dump(trad) == lex.Dump(simp));
    CHECK_FALSE(an.Dump(trad).empty());
  }
}

TEST_CASE("Analyzer: a lexicon joins names that ICU splits into characters",
          "[analysis][analyzer][lexicon]") {
  const Analyzer plain;
  const Analyzer lex(Mini());
  struct LexRow {
    std::string text, plain, lex;
  };
  const std::vector<LexRow> rows = {
      {"台积电", "台[1] #台积[1] 积[2] #积电[2] 电[3]", "台积电[1] #台积[1] #积电[1]"},
      {"台積電（TSMC）", "台[1] #台积[1] 积[2] #积电[2] 电[3] tsmc[4]",
       "台积电[1] #台积[1] #积电[1] tsmc[2]"},
      {"柯文哲", "柯[1] #柯文[1] 文[2] #文哲[2] 哲[3]", "柯文哲[1] #柯文[1] #文哲[1]"},
      {"台北市長柯文哲",
       "台北市[1] #台北[1] #北市[1] #市长[1] 长[2] #长柯[2] 柯[3] #柯文[3] 文[4] #文哲[4] 哲[5]",
       "台北市[1] #台北[1] #北市[1] #市长[1] 长[2] #长柯[2] 柯文哲[3] #柯文[3] #文哲[3]"},
      // Limitation: ICU's word 英文 is not re-segmented, so 蔡英文 stays split
      // even with the lexicon; the bigrams 蔡英 英文 still find it.
      {"蔡英文說", "蔡[1] #蔡英[1] 英文[2] #英文[2] #文说[2] 说[3]",
       "蔡[1] #蔡英[1] 英文[2] #英文[2] #文说[2] 说[3]"},
      // The lexicon does not touch English.
      {"Ko Wen-je", "ko[1] wen[2] je[3]", "ko[1] wen[2] je[3]"},
  };
  for (const LexRow& r : rows) {
    INFO("input: " << r.text);
    CHECK(plain.Dump(r.text) == r.plain);
    CHECK(lex.Dump(r.text) == r.lex);
    CHECK(CheckTokenRules(plain, r.text, {}) == "");
    CHECK(CheckTokenRules(lex, r.text, {}) == "");
  }
}

TEST_CASE("Analyzer: options (stem, bigrams, first_pos)", "[analysis][analyzer]") {
  const Analyzer an;
  const std::string text = "Elections in 國防預算";
  CHECK(an.Dump(text) == "elect[1] in[2] 国防[3] #国防[3] #防预[3] 预算[4] #预算[4]");
  AnalyzeOptions no_stem;
  no_stem.stem = false;
  CHECK(an.Dump(text, no_stem) == "elections[1] in[2] 国防[3] #国防[3] #防预[3] 预算[4] #预算[4]");
  AnalyzeOptions no_bigrams;
  no_bigrams.bigrams = false;
  CHECK(an.Dump(text, no_bigrams) == "elect[1] in[2] 国防[3] 预算[4]");
  AnalyzeOptions from10;
  from10.first_pos = 10;
  CHECK(an.Dump(text, from10) == "elect[10] in[11] 国防[12] #国防[12] #防预[12] 预算[13] #预算[13]");
  CHECK(CheckTokenRules(an, text, from10) == "");

  // Analyze returns the last position used, first_pos-1 when nothing is emitted.
  auto count = [&](std::string_view s, uint32_t first) {
    AnalyzeOptions o;
    o.first_pos = first;
    return an.Analyze(s, o, [](const Token&) {});
  };
  CHECK(count("", 10) == 9);
  CHECK(count("... !!!", 10) == 9);
  CHECK(count("a b", 10) == 11);
  CHECK(count("國防預算", 1) == 2);  // bigrams do not use positions

  // Stemmed tokens keep the unstemmed word in raw.
  std::vector<Token> toks;
  an.Analyze("Elections", {}, [&](const Token& t) { toks.push_back(t); });
  REQUIRE(toks.size() == 1);
  CHECK(toks[0].text == "elect");
  CHECK(toks[0].raw == "elections");
  CHECK(std::string(toks[0].lang()) == "en");
}

TEST_CASE("Analyzer: query side drops English stop words", "[analysis][analyzer][stopwords]") {
  const Analyzer an;
  AnalyzeOptions q;
  q.drop_stopwords = true;
  CHECK(an.Dump("what is the budget", q) == "budget[1]");
  CHECK(an.Dump("the budget of Taiwan", q) == "budget[1] taiwan[2]");
  CHECK(an.Dump("的 國防", q) == "的[1] 国防[2] #国防[2]");  // Chinese stop words are not dropped here
  CHECK(an.Dump("the the the", q).empty());
}

// An acronym folds to a word that can be a stop word (U.S. -> "us", I.T. ->
// "it"), and the query side then drops it: "U.S. tariffs" searches only for
// "tariffs". The acronym is not the pronoun and must survive.
TEST_CASE("Analyzer: query side keeps acronyms that fold to stop words",
          "[analysis][analyzer][stopwords][regression]") {
  const Analyzer an;
  AnalyzeOptions q;
  q.drop_stopwords = true;
  CHECK(an.Dump("U.S. tariffs", q) == "us[1] tariff[2]");
  CHECK(an.Dump("The President of the U.S.", q) == "presid[1] us[2]");
}

TEST_CASE("Analyzer: offsets point at the original text, also for folded characters",
          "[analysis][analyzer][offsets]") {
  const Analyzer an;
  auto find = [&](const std::string& text, const std::string& term, TokenKind kind) {
    Token found;
    bool ok = false;
    an.Analyze(text, {}, [&](const Token& t) {
      if (!ok && t.text == term && t.kind == kind) {
        found = t;
        ok = true;
      }
    });
    REQUIRE(ok);
    return std::string(text.substr(found.begin, found.end - found.begin));
  };
  const std::string trad = "總統說國防預算增加";
  CHECK(find(trad, "国防", TokenKind::kWord) == "國防");
  CHECK(find(trad, "预算", TokenKind::kWord) == "預算");
  CHECK(find(trad, "防预", TokenKind::kBigram) == "防預");
  const std::string mixed = "ＵＳＢ與國防 Tsai's plan";
  CHECK(find(mixed, "usb", TokenKind::kWord) == "ＵＳＢ");
  CHECK(find(mixed, "tsai", TokenKind::kWord) == "Tsai's");
  CHECK(find(mixed, "plan", TokenKind::kWord) == "plan");
  const std::string accents = "Cafe\xCC\x81 ok";  // decomposed é
  CHECK(find(accents, "café", TokenKind::kWord) == "Cafe\xCC\x81");

  // Exact offsets of every token of a mixed sentence.
  std::vector<std::string> got;
  const std::string text = "台積電（TSMC）國防";
  an.Analyze(text, {}, [&](const Token& t) {
    got.push_back((t.kind == TokenKind::kBigram ? "#" : "") + t.text + "=" +
                  text.substr(t.begin, t.end - t.begin));
  });
  CHECK(got == std::vector<std::string>{"台=台", "#台积=台積", "积=積", "#积电=積電", "电=電", "tsmc=TSMC",
                                        "国防=國防", "#国防=國防"});
}

TEST_CASE("Analyzer: general token rules hold on random UTF-8", "[analysis][analyzer][property]") {
  const std::vector<std::string>& pieces = testutil::TrickyUtf8Pieces();
  const Analyzer plain;
  const Analyzer lex(Mini());
  std::mt19937 rng(0x70E6E0);
  int checked = 0;
  size_t tokens = 0;
  for (int it = 0; it < 4000; ++it) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      if (rng() % 8 == 0)
        s.push_back(static_cast<char>(rng() & 0xFF));  // any byte
      else
        s += pieces[rng() % pieces.size()];
    }
    AnalyzeOptions opt;
    opt.first_pos = 1 + rng() % 100;
    opt.drop_stopwords = rng() % 2 == 0;
    opt.bigrams = rng() % 4 != 0;
    for (const Analyzer* an : {&plain, &lex}) {
      const std::string err = CheckTokenRules(*an, s, opt, &tokens);
      if (!err.empty()) FAIL(err);
      ++checked;
    }
  }
  CHECK(checked == 8000);
  CHECK(tokens > 50000);  // the inputs really produce tokens
}

// CharNormalizer and Segmenter skip ICU calls on Han text; the shortcuts
// must agree with ICU for every code point they cover.
TEST_CASE("The analyzer's ICU shortcuts agree with ICU", "[analysis][normalize]") {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* n2 = icu::Normalizer2::getNFKCCasefoldInstance(st);
  REQUIRE(U_SUCCESS(st));
  // NFKC_Casefold leaves unified ideographs (and Extension A) alone, and
  // each starts a normalisation unit.
  size_t changed = 0, not_boundary = 0;
  for (UChar32 c = 0x3400; c <= 0x9FFF; ++c) {
    if (c > 0x4DBF && c < 0x4E00) continue;
    const icu::UnicodeString one(c);
    UErrorCode e = U_ZERO_ERROR;
    if (n2->normalize(one, e) != one || U_FAILURE(e)) ++changed;
    if (!n2->hasBoundaryBefore(c)) ++not_boundary;
  }
  CHECK(changed == 0);
  CHECK(not_boundary == 0);
  // No white space above U+3000 (IDEOGRAPHIC SPACE itself is tested for).
  size_t spaces = 0;
  for (UChar32 c = 0x3001; c <= 0x10FFFF; ++c)
    if (u_isUWhiteSpace(c)) ++spaces;
  CHECK(spaces == 0);
  CHECK(u_isUWhiteSpace(0x3000));
}

TEST_CASE("TokenPrefilter::Find: the first place a token of interest may start", "[analysis][prefilter]") {
  using tongwen::TokenPrefilter;
  const size_t npos = std::string_view::npos;
  struct Row {
    const char* what;
    std::string text;
    std::vector<char32_t> singles;
    std::vector<std::pair<char32_t, char32_t>> pairs;
    std::vector<std::string> stems;
    size_t from, expect;
  };
  const std::vector<Row> rows = {
      {"no terms: nothing", "New tariff rules", {}, {}, {}, 0, npos},
      {"a word that stems to a term", "New tariffs rules", {}, {}, {"tariff"}, 0, 4},
      {"upper case is folded", "New TARIFF rules", {}, {}, {"tariff"}, 0, 4},
      {"words with the stem's first letters are passed", "the tax table", {}, {}, {"tariff"}, 0, npos},
      {"from skips what is before", "tariff tax tariff", {}, {}, {"tariff"}, 1, 11},
      {"o'neill stems to oneil", "mr o'neill", {}, {}, {"oneil"}, 0, 3},
      {"u.s. is us", "the u.s. plan", {}, {}, {"us"}, 0, 4},
      {"a decimal stays whole", "rose 3.5 pct", {}, {}, {"3.5"}, 0, 5},
      {"possessive stripped", "Tsai's plan", {}, {}, {"tsai"}, 0, 0},
      {"y reads as i (dying -> die)", "the dying man", {}, {}, {"die"}, 0, 4},
      {"an apostrophe after one letter cannot be judged", "o\xE2\x80\x99neill", {}, {}, {"tariff"}, 0, 0},
      {"a word running into non-ASCII cannot be judged", "tariffs\xE2\x80\x99", {}, {}, {"tariff"}, 0, 0},
      {"Han: a term bigram", "美國提高關稅。", {}, {{U'关', U'税'}}, {}, 0, 12},
      {"Han: a bigram across an ignorable (the analysis drops it)",
       "關\xE2\x80\x8B稅",
       {},
       {{U'关', U'税'}},
       {},
       0,
       0},
      {"Han: a bigram across a soft hyphen (dropped too)", "關\xC2\xAD稅", {}, {{U'关', U'税'}}, {}, 0, 0},
      {"a word running into a full-width comma cannot be judged (1，5 is 15)",
       "1\xEF\xBC\x8C"
       "5",
       {},
       {},
       {"15"},
       0,
       0},
      {"Han: a bigram's first character alone is passed", "關心 关，税", {}, {{U'关', U'税'}}, {}, 0, npos},
      {"Han: Traditional folds to the term's Simplified", "關", {U'关'}, {}, {}, 0, 0},
      {"Han: other characters are passed", "港口港口", {U'关'}, {}, {}, 0, npos},
      {"CJK punctuation and spaces are passed", "「港」，。\xE3\x80\x80港", {U'关'}, {}, {}, 0, npos},
      {"a full-width letter is a candidate", "港ＵＳＢ", {U'关'}, {}, {}, 0, 3},
      {"a combining mark is a candidate", "港\xCC\x81", {U'关'}, {}, {}, 0, 3},
      {"a letter with a combining mark cannot be judged", "new a\xCC\x81", {}, {}, {"tariff"}, 0, 4},
      {"a letter of another script is a candidate", "港のテ", {U'关'}, {}, {}, 0, 3},
      {"invalid UTF-8 is passed", "\xFF\xFE tariff", {}, {}, {"tariff"}, 0, 3},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    const TokenPrefilter pf(r.singles, r.pairs, r.stems);
    CHECK(pf.Find(r.text, r.from) == r.expect);
  }
}

TEST_CASE("TokenPrefilter::Next finds exactly the analyzer's tokens of interest (random UTF-8)",
          "[analysis][prefilter][property]") {
  // Random texts of tricky pieces and of pieces made to be, or nearly be,
  // the wanted words (joined by apostrophes, commas, ignorables, marks),
  // and random wanted stems and Han characters and bigrams. Walking the
  // text as snippets do: no token of interest that the analysis (characters
  // and bigrams, stem_keys) emits may begin before Next's answer; where Next
  // tells the tokens, they must be exactly the analysis's tokens beginning
  // there (offsets, text, kind), and none may begin before *resume.
  const std::vector<std::string>& tricky = testutil::TrickyUtf8Pieces();
  const std::vector<std::string> near = {"o'neill",
                                         "neill",
                                         "oneill",
                                         "1\xEF\xBC\x8C"
                                         "5",
                                         "5",
                                         "15",
                                         "x.5",
                                         "u.s.",
                                         "us",
                                         "Tsai's",
                                         "tsai",
                                         "3.5",
                                         "tariff",
                                         "tariffs",
                                         "TARIFF",
                                         "tariff\xE2\x80\x99s",
                                         "\xE2\x80\x99",
                                         "'",
                                         ",",
                                         ".",
                                         "\xE2\x80\x8B",
                                         "\xC2\xAD",
                                         "\xCC\x81",
                                         "\xEF\xBC\x8C",
                                         "\xE3\x80\x82",
                                         " ",
                                         "\n",
                                         "國",
                                         "防",
                                         "台",
                                         "積",
                                         "国",
                                         "积",
                                         "國",
                                         "防",
                                         "台",
                                         "積",
                                         "\xE3\x90\x80",
                                         "\xEF\xA4\x80",
                                         "の",
                                         "(",
                                         "\""};
  const std::vector<std::string> words = {"tariff", "neill", "oneill", "dying", "us", "3.5",  "co", "op",
                                          "cafe",   "usb",   "xii",    "fi",    "a",  "z",    "9",  "people",
                                          "tsai",   "1000",  "15",     "5",     "s",  "cole", "x"};
  const std::vector<char32_t> han_pool = {U'国', U'防', U'台', U'积', U'㐀'};
  const Analyzer an;
  std::mt19937 rng(20261126);
  size_t tokens = 0, told = 0, untold = 0;
  for (int it = 0; it < 8000; ++it) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      const uint32_t r = rng() % 8;
      // A third of the texts have no random bytes and few tricky pieces.
      const bool plain = it % 3 == 0;
      s += r == 0 && !plain        ? std::string(1, static_cast<char>(rng() & 0xFF))
           : r < (plain ? 1u : 4u) ? tricky[rng() % tricky.size()]
           : rng() % 4 == 0        ? std::string(" ")
                                   : near[rng() % near.size()];
    }
    std::vector<std::string> stems;
    std::vector<uint16_t> keys;
    std::vector<char32_t> singles;
    std::vector<std::pair<char32_t, char32_t>> pairs;
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
      stems.push_back(EnglishFilters::Stem(words[rng() % words.size()]));
      keys.push_back(EnglishFilters::StemKey(stems.back()));
    }
    for (int k = static_cast<int>(rng() % 3); k > 0; --k)
      singles.push_back(han_pool[rng() % han_pool.size()]);
    for (int k = static_cast<int>(rng() % 4); k > 0; --k)
      pairs.emplace_back(han_pool[rng() % han_pool.size()], han_pool[rng() % han_pool.size()]);
    const tongwen::TokenPrefilter pf(singles, pairs, stems);
    AnalyzeOptions ao;
    ao.han_words = false;
    ao.stem_keys = &keys;
    std::vector<tongwen::Token> want;  // the tokens of interest, in text order
    an.Analyze(s, ao, [&](const tongwen::Token& t) {
      bool wanted = false;
      if (t.script == Script::kLatin) {
        wanted = std::find(stems.begin(), stems.end(), t.text) != stems.end();
      } else {
        const std::u32string cps = tongwen::DecodeUtf8(t.text);
        if (cps.size() == 1 && t.kind == tongwen::TokenKind::kWord)
          wanted = std::find(singles.begin(), singles.end(), cps[0]) != singles.end();
        if (cps.size() == 2 && t.kind == tongwen::TokenKind::kBigram)
          wanted = std::find(pairs.begin(), pairs.end(), std::make_pair(cps[0], cps[1])) != pairs.end();
      }
      if (wanted) want.push_back(t);
    });
    tokens += want.size();
    auto describe = [](const tongwen::Token& t) {
      return std::to_string(t.begin) + "-" + std::to_string(t.end) + ":" + t.text +
             (t.kind == tongwen::TokenKind::kBigram ? "#" : "");
    };
    auto fail = [&](const std::string& why) { FAIL("text \"" << s << "\": " << why); };
    std::vector<tongwen::Token> found;
    size_t at = 0;
    while (at < s.size()) {
      size_t resume = at;
      const size_t c = pf.Next(s, at, &found, &resume);
      const size_t stop = c == std::string_view::npos ? s.size() : c;
      for (const tongwen::Token& t : want)
        if (t.begin >= at && t.begin < stop) fail("passed " + describe(t) + " from " + std::to_string(at));
      if (c == std::string_view::npos) break;
      if (found.empty()) {  // untold: as the snippet, go on after the next space
        ++untold;
        at = c + 1;
        while (at < s.size() && s[at] != ' ' && s[at] != '\n' && s[at] != '\t' && s[at] != '\r') ++at;
        continue;
      }
      ++told;
      std::string got, expect;
      for (const tongwen::Token& t : found) got += describe(t) + " ";
      for (const tongwen::Token& t : want)
        if (t.begin == c) expect += describe(t) + " ";
      if (got != expect) fail("at " + std::to_string(c) + " told " + got + "but the analysis has " + expect);
      for (const tongwen::Token& t : want)
        if (t.begin > c && t.begin < resume) fail("resumed past " + describe(t));
      if (resume <= at) fail("no progress");
      at = resume;
    }
  }
  INFO("tokens " << tokens << ", told " << told << ", untold " << untold);
  CHECK(tokens > 3000);  // the inputs really have tokens of interest
  CHECK(told > 1000);    // the prefilter tells many (on news text nearly all: see snippet.cc)
  CHECK(untold > 5000);  // and the pieces made to defeat it do
}
