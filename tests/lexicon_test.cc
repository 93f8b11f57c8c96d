// The compiled CC-CEDICT lexicon: gloss cleaning, compile/open/load, lookups,
// English->Chinese, and every way a file can be bad.
#include "tongwen/lexicon.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "test_util.h"

#include "tongwen/analysis.h"

using tongwen::Code;
using tongwen::LexCandidate;
using tongwen::LexEntry;
using tongwen::Lexicon;

namespace fs = std::filesystem;

namespace {

std::string Fold(const std::string& s) {
  tongwen::NormalizedText nt;
  tongwen::CharNormalizer::Normalize(s, &nt);
  return nt.text;
}

std::vector<std::string> Glosses(const Lexicon& lex, const std::string& word) {
  LexEntry e;
  if (!lex.Lookup(word, &e)) return {};
  return std::vector<std::string>(e.glosses.begin(), e.glosses.end());
}

std::vector<std::string> Heads(const std::vector<LexCandidate>& c) {
  std::vector<std::string> out;
  for (const LexCandidate& x : c) out.emplace_back(x.headword);
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool AnyContains(const std::vector<std::string>& v, const std::string& x) {
  for (const std::string& s : v)
    if (s.find(x) != std::string::npos) return true;
  return false;
}

// Stems of an English phrase, as the query side produces them.
std::vector<std::string> Stems(const std::string& phrase) {
  std::vector<std::string> out;
  tongwen::AnalyzeOptions opt;
  opt.drop_stopwords = true;
  tongwen::Analyzer().Analyze(phrase, opt, [&](const tongwen::Token& t) { out.push_back(t.text); });
  return out;
}

// Simplified headwords of the fixture, folded.
std::vector<std::string> FixtureHeadwords() {
  std::istringstream in(testutil::ReadFile(testutil::DataPath("mini_cedict.u8")));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find(' '), b = line.find(' ', a + 1);
    out.push_back(Fold(line.substr(a + 1, b - a - 1)));
  }
  return out;
}

// The same lookups against two lexicons must agree.
void ExpectSameLookups(const Lexicon& x, const Lexicon& y) {
  CHECK(x.size() == y.size());
  CHECK(x.max_word_chars() == y.max_word_chars());
  std::vector<std::string> words = FixtureHeadwords();
  for (const char* extra : {"", "不存在", "abc", "国", "國", "台湾积体电路"}) words.push_back(extra);
  for (const std::string& w : words) {
    INFO("word: " << w);
    CHECK(x.Contains(w) == y.Contains(w));
    LexEntry a, b;
    const bool fa = x.Lookup(w, &a), fb = y.Lookup(w, &b);
    REQUIRE(fa == fb);
    if (!fa) continue;
    CHECK(a.headword == b.headword);
    CHECK(a.pinyin == b.pinyin);
    CHECK(std::vector<std::string>(a.glosses.begin(), a.glosses.end()) ==
          std::vector<std::string>(b.glosses.begin(), b.glosses.end()));
    for (char32_t cp : tongwen::DecodeUtf8(w)) CHECK(x.CharPinyin(cp) == y.CharPinyin(cp));
  }
  for (const auto& stems : std::vector<std::vector<std::string>>{
           {"budget"}, {"legisl", "yuan"}, {"prime", "minist"}, {"taiwan"}, {"japan"}, {"nope"}}) {
    auto ca = x.EnglishToChinese(stems, 10), cb = y.EnglishToChinese(stems, 10);
    REQUIRE(ca.size() == cb.size());
    for (size_t i = 0; i < ca.size(); ++i) {
      CHECK(ca[i].headword == cb[i].headword);
      CHECK(ca[i].score == cb[i].score);
    }
  }
}

std::string CompiledMini(const testutil::TempDir& dir) {
  const std::string out = dir / "mini.lex";
  tongwen::Status s = Lexicon::Compile(testutil::DataPath("mini_cedict.u8"), out);
  if (!s.ok()) FAIL(s.ToString());
  return out;
}

// Opens `path` and, if that works, exercises every lookup (for "never crash").
Code OpenAndPoke(const std::string& path) {
  auto r = Lexicon::Open(path);
  if (!r.ok()) return r.status().code();
  const Lexicon& lex = *r.value();
  LexEntry e;
  for (const char* w : {"国防", "台", "美国", "zzz", ""}) {
    lex.Contains(w);
    if (lex.Lookup(w, &e))
      for (std::string_view g : e.glosses) (void)g.size();
  }
  lex.CharPinyin(U'国');
  lex.EnglishToChinese({"budget"}, 5);
  lex.EnglishToChinese({"prime", "minist"}, 5);
  (void)lex.size();
  (void)lex.max_word_chars();
  return Code::kOk;
}

}  // namespace

// ---- CleanGloss -------------------------------------------------------------

TEST_CASE("CleanGloss turns CEDICT glosses into translations", "[lexicon][gloss]") {
  struct Row {
    std::string gloss;
    std::vector<std::string> want;
  };
  const std::vector<Row> rows = {
      // Plain senses; "a; b" splits; duplicates collapse.
      {"budget", {"budget"}},
      {"marketplace; market; bazaar", {"marketplace", "market", "bazaar"}},
      {"a; b", {"a", "b"}},
      {"market; market", {"market"}},
      {"American dollar; US dollar", {"American dollar", "US dollar"}},
      // Parenthetical notes are removed, also nested and bracketed ones.
      {"prime minister (of Japan or UK etc)", {"prime minister"}},
      {"(Tw) (computing) chip", {"chip"}},
      {"Taiwan (abbr.)", {"Taiwan"}},
      {"wafer (used as a substrate (e.g. silicon) for microchips)", {"wafer"}},
      {"(of eyes) bright", {"bright"}},
      {"(completed action marker)", {}},
      // Leading "to " (and articles) dropped.
      {"to finish", {"finish"}},
      {"to calculate; to figure out", {"calculate", "figure out"}},
      {"the Bund", {"Bund"}},
      {"a taxi; a cab (abbr. for 的士[di1 shi4])", {"taxi", "cab"}},
      // "Name (dates), description" keeps the name.
      {"Name (1956-), description", {"Name"}},
      {"Tsai Ing-wen (1956–), Taiwanese DPP politician, president of the Republic of China 2016–2024",
       {"Tsai Ing-wen"}},
      {"Ko Wen-je (1959-), Taiwanese independent politician, Mayor of Taipei City from 2014", {"Ko Wen-je"}},
      {"Hon Hai Precision Industry Company, Taiwan technology company, aka Foxconn",
       {"Hon Hai Precision Industry Company"}},
      // An acronym in parentheses is also a translation (news writes TSMC).
      {"Taiwan Semiconductor Manufacturing Company (TSMC), founded in 1987",
       {"Taiwan Semiconductor Manufacturing Company", "TSMC"}},
      {"World Health Organization (WHO)", {"World Health Organization", "WHO"}},
      {"wafer (used as a substrate (e.g. silicon) for microchips)", {"wafer"}},
      // Pointers and notes are not translations.
      {"CL:個|个[ge4]", {}},
      {"CL:家[jia1],座[zuo4]", {}},
      {"see also 台灣", {}},
      {"see also XYZ", {}},
      {"variant of 臺|台[tai2]", {}},
      {"old variant of 和[he2]", {}},
      {"abbr. for 民主進步黨|民主进步党", {}},
      {"abbr. for something", {}},
      {"surname Tai", {}},
      {"used in place names", {}},
      {"Taiwan pr. [han4]", {}},
      {"(literary) harmonious", {}},
      {"one made of leather 皮革的", {}},  // quotes Han text
      {"", {}},
      {"   ", {}},
  };
  for (const Row& r : rows) {
    INFO("gloss: " << r.gloss);
    CHECK(tongwen::CleanGloss(r.gloss) == r.want);
  }
}

// Removing a parenthetical from the middle of a gloss leaves two spaces:
// "mix (ingredients) together" -> "mix  together". These strings are shown as
// translations and used as dictionary glosses.
TEST_CASE("CleanGloss collapses the space left by a removed parenthetical", "[lexicon][gloss][regression]") {
  CHECK(tongwen::CleanGloss("mix (ingredients) together") == std::vector<std::string>{"mix together"});
  CHECK(tongwen::CleanGloss("to compose a poem in reply (to sb's poem) using the same rhyme sequence") ==
        std::vector<std::string>{"compose a poem in reply using the same rhyme sequence"});
}

// ---- Compile / Open / Load -----------------------------------------------------

TEST_CASE("Lexicon::IsGlossPhrase: the multi-word glosses, as ChineseToEnglish splits them", "[lexicon]") {
  const Lexicon& lex = testutil::MiniLexicon();
  struct Row {
    const char* stems;
    bool phrase;
  };
  const std::vector<Row> rows = {
      {"prime minist", true},     // 首相, 总理
      {"trade war", true},        // 贸易战
      {"legisl yuan", true},      // 立法院
      {"nation defens", true},    // 国防 "national defense"
      {"minist prime", false},    // the words of a gloss, in another order
      {"prime", false},           // one word: searched as Z<stem>, not as a gloss term
      {"budget", false},          // a one-word gloss
      {"trade war zone", false},  // more than the gloss
      {"~trump", false},          // a name-part key is no gloss
      {"", false},
  };
  for (const Row& r : rows) {
    INFO(r.stems);
    CHECK(lex.IsGlossPhrase(r.stems) == r.phrase);
  }
  CHECK(lex.MayStartGlossPhrase("prime"));
  CHECK(lex.MayStartGlossPhrase("trade"));
  CHECK_FALSE(lex.MayStartGlossPhrase("minist"));
  CHECK_FALSE(lex.MayStartGlossPhrase("budget"));
  // Every multi-word gloss that ChineseToEnglish-style analysis gives for a
  // headword is a gloss phrase: the query side searches exactly these terms.
  for (const char* hw : {"首相", "总理", "贸易战", "立法院", "国防"}) {
    tongwen::LexEntry e;
    REQUIRE(lex.Lookup(hw, &e));
    for (std::string_view g : e.glosses) {
      const std::vector<std::string> st = Stems(std::string(g));
      if (st.size() < 2 || st.size() > 4) continue;
      std::string joined;
      for (const std::string& x : st) joined += (joined.empty() ? "" : " ") + x;
      INFO(hw << ": " << g << " -> " << joined);
      CHECK(lex.IsGlossPhrase(joined));
    }
  }
}

// The gloss sets are looked up behind Bloom filters, which must never say
// "no" to a key of the set: every multi-word gloss of a sample of the full
// dictionary's headwords (one line in 5) is still a gloss phrase.
TEST_CASE("Lexicon gloss filters lose no gloss of the full dictionary", "[lexicon][full]") {
  const Lexicon* lex = testutil::FullLexicon();
  if (!lex) {
    WARN("no full dictionary in build/share (scripts/fetch-cedict); skipped");
    return;
  }
  std::istringstream in(testutil::ReadFile(std::string(TONGWEN_BIN_DIR) + "/../share/tongwen/cedict_ts.u8"));
  std::string line;
  size_t n = 0, checked = 0, missing = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || n++ % 5) continue;
    size_t a = line.find(' '), b = line.find(' ', a + 1);
    if (b == std::string::npos) continue;
    tongwen::LexEntry e;
    if (!lex->Lookup(Fold(line.substr(a + 1, b - a - 1)), &e)) continue;
    for (std::string_view g : e.glosses) {
      const std::vector<std::string> st = Stems(std::string(g));
      if (st.size() < 2 || st.size() > 4) continue;
      std::string joined;
      for (const std::string& x : st) joined += (joined.empty() ? "" : " ") + x;
      ++checked;
      if (!lex->IsGlossPhrase(joined) || !lex->MayStartGlossPhrase(st[0])) {
        ++missing;
        UNSCOPED_INFO(line.substr(a + 1, b - a - 1) << ": " << g << " -> " << joined);
      }
    }
  }
  CHECK(checked > 10000);
  CHECK(missing == 0);
}

TEST_CASE("Lexicon::Compile + Open (mmap) gives the same lookups as Load", "[lexicon]") {
  testutil::TempDir dir;
  const std::string lex_path = CompiledMini(dir);
  CHECK(fs::exists(lex_path));
  CHECK_FALSE(fs::exists(lex_path + ".tmp"));  // temp file renamed away

  auto opened = Lexicon::Open(lex_path);
  REQUIRE(opened.ok());
  auto loaded = Lexicon::Load(testutil::DataPath("mini_cedict.u8"));  // text, compiled in memory
  REQUIRE(loaded.ok());
  auto loaded_bin = Lexicon::Load(lex_path);  // Load recognises a compiled file
  REQUIRE(loaded_bin.ok());

  ExpectSameLookups(*opened.value(), *loaded.value());
  ExpectSameLookups(*loaded_bin.value(), *loaded.value());
  ExpectSameLookups(*opened.value(), testutil::MiniLexicon());

  // Every (Simplified) headword of the fixture is in the lexicon.
  for (const std::string& w : FixtureHeadwords()) {
    INFO(w);
    CHECK(opened.value()->Contains(w));
  }

  SECTION("a gzip-compressed dictionary compiles to the same thing") {
    const std::string gz = dir / "mini.u8.gz";
    const std::string text = testutil::ReadFile(testutil::DataPath("mini_cedict.u8"));
    gzFile f = gzopen(gz.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
    REQUIRE(gzclose(f) == Z_OK);
    auto from_gz = Lexicon::Load(gz);
    REQUIRE(from_gz.ok());
    ExpectSameLookups(*from_gz.value(), *loaded.value());
    REQUIRE(Lexicon::Compile(gz, dir / "gz.lex").ok());
    CHECK(testutil::ReadFile(dir / "gz.lex") == testutil::ReadFile(lex_path));  // deterministic
  }
}

TEST_CASE("Lexicon lookups on the fixture", "[lexicon]") {
  const Lexicon& lex = testutil::MiniLexicon();
  CHECK(lex.size() == 64);
  CHECK(lex.max_word_chars() == 5);  // 亚利桑那州

  SECTION("Traditional and Simplified headwords fold to the same key") {
    for (auto [trad, simp] : std::vector<std::pair<std::string, std::string>>{{"國防", "国防"},
                                                                              {"臺灣", "台湾"},
                                                                              {"台積電", "台积电"},
                                                                              {"總統府", "总统府"},
                                                                              {"颱風", "台风"}}) {
      INFO(trad);
      CHECK(Fold(trad) == simp);
      CHECK(Fold(trad) == Fold(simp));
      CHECK(lex.Contains(Fold(trad)));
      LexEntry a, b;
      REQUIRE(lex.Lookup(Fold(trad), &a));
      REQUIRE(lex.Lookup(Fold(simp), &b));
      CHECK(a.headword == simp);
      CHECK(a.headword.data() == b.headword.data());  // the very same entry
    }
  }
  SECTION("Lookup returns the cleaned glosses in sense order") {
    LexEntry e;
    REQUIRE(lex.Lookup("国防", &e));
    CHECK(e.headword == "国防");
    CHECK(e.pinyin == "guo2 fang2");
    CHECK(Glosses(lex, "国防") == std::vector<std::string>{"national defense"});
    CHECK(Glosses(lex, "美国") == std::vector<std::string>{"United States", "USA", "US"});
    CHECK(Glosses(lex, "总理") == std::vector<std::string>{"premier", "prime minister"});
    CHECK(Glosses(lex, "工厂") == std::vector<std::string>{"factory"});  // CL: dropped
    CHECK(Glosses(lex, "蔡英文") == std::vector<std::string>{"Tsai Ing-wen"});
    CHECK(Glosses(lex, "立法院") == std::vector<std::string>{"Legislative Yuan"});
    // Entries of several readings and of variant characters merge: 台 collects
    // 台, 臺, 檯 and 颱 senses; "variant of" and "surname" senses are gone.
    const auto tai = Glosses(lex, "台");
    REQUIRE_FALSE(tai.empty());
    CHECK(tai.front() == "Taiwan");
    CHECK(Has(tai, "desk"));
    CHECK(Has(tai, "platform"));
    CHECK(Has(tai, "typhoon"));
    CHECK_FALSE(AnyContains(tai, "variant"));
    CHECK_FALSE(AnyContains(tai, "surname"));
  }
  SECTION("missing words") {
    LexEntry e;
    CHECK_FALSE(lex.Contains(""));
    CHECK_FALSE(lex.Contains("不存在"));
    CHECK_FALSE(lex.Contains("国防部长"));  // a longer word is not a prefix match
    CHECK_FALSE(lex.Lookup("zzz", &e));
    CHECK_FALSE(lex.Contains("咊"));  // its only sense is "old variant of 和"
  }
  SECTION("CharPinyin: the most common toneless reading of a Simplified character") {
    CHECK(lex.CharPinyin(U'蔡') == "cai");
    CHECK(lex.CharPinyin(U'国') == "guo");
    CHECK(lex.CharPinyin(U'台') == "tai");
    CHECK(lex.CharPinyin(U'电') == "dian");
    CHECK(lex.CharPinyin(U'和') == "he");  // he2 x3, huo x2, hu x1
    CHECK(lex.CharPinyin(U'龍') == "");    // not in the fixture
    CHECK(lex.CharPinyin(U'x') == "");
    CHECK(lex.CharPinyin(0) == "");
  }
}

// LexEntry::pinyin keeps CC-CEDICT's reading as written, capitals of proper
// nouns included (the pinyin field uses CharPinyin, which is lower case).
TEST_CASE("LexEntry::pinyin is the CC-CEDICT reading as written", "[lexicon]") {
  const Lexicon& lex = testutil::MiniLexicon();
  LexEntry e;
  REQUIRE(lex.Lookup("蔡英文", &e));
  CHECK(e.pinyin == "Cai4 Ying1 wen2");
  REQUIRE(lex.Lookup("美国", &e));
  CHECK(e.pinyin == "Mei3 guo2");
  CHECK(lex.CharPinyin(U'蔡') == "cai");
}

TEST_CASE("Lexicon::EnglishToChinese finds headwords by stemmed gloss", "[lexicon]") {
  const Lexicon& lex = testutil::MiniLexicon();
  CHECK(Heads(lex.EnglishToChinese({"budget"}, 5)) == std::vector<std::string>{"预算"});
  CHECK(Heads(lex.EnglishToChinese({"legisl", "yuan"}, 5)) == std::vector<std::string>{"立法院"});
  CHECK(Heads(lex.EnglishToChinese({"trade", "war"}, 5)) == std::vector<std::string>{"贸易战"});
  CHECK(Heads(lex.EnglishToChinese({"nation", "defens"}, 5)) == std::vector<std::string>{"国防"});
  CHECK(Heads(lex.EnglishToChinese(Stems("the Legislative Yuan"), 5)) == std::vector<std::string>{"立法院"});

  // Best first: 首相's only sense beats 总理's second sense.
  auto pm = lex.EnglishToChinese({"prime", "minist"}, 5);
  CHECK(Heads(pm) == std::vector<std::string>{"首相", "总理"});
  REQUIRE(pm.size() == 2);
  CHECK(pm[0].score > pm[1].score);
  CHECK(pm[1].score > 0);

  auto tw = lex.EnglishToChinese({"taiwan"}, 10);
  REQUIRE(tw.size() >= 2);
  CHECK(tw[0].headword == "台湾");
  CHECK(Has(Heads(tw), "台"));
  for (size_t i = 1; i < tw.size(); ++i) CHECK(tw[i - 1].score >= tw[i].score);
  CHECK(lex.EnglishToChinese({"taiwan"}, 1).size() == 1);  // max is respected
  CHECK(lex.EnglishToChinese({"taiwan"}, 0).empty());

  // The key is the whole phrase, in order, of stems.
  CHECK(lex.EnglishToChinese({}, 5).empty());
  CHECK(lex.EnglishToChinese({"yuan", "legisl"}, 5).empty());
  CHECK(lex.EnglishToChinese({"legisl"}, 5).empty());
  CHECK(lex.EnglishToChinese({"national", "defense"}, 5).empty());  // not stems
  CHECK(lex.EnglishToChinese({"zzz"}, 5).empty());
}

TEST_CASE("Lexicon from a hand-written dictionary: readings, long words, tolerance", "[lexicon]") {
  testutil::TempDir dir;
  const std::string path = dir / "small.u8";
  testutil::WriteFile(
      path,
      "# comment line\n"
      "\n"
      "女 女 [nu:3] /woman/female/\n"
      "綠 绿 [lu:4] /green/\n"
      "中華人民共和國 中华人民共和国 [Zhong1 hua2 Ren2 min2 Gong4 he2 guo2] /People's Republic of China/\n"
      "this line is not cedict\n"
      "長 长 [chang2] /long/\n"
      "長 长 [zhang3] /chief/head/elder/to grow/\n"
      "長大 长大 [zhang3 da4] /to grow up/\n"
      "市長 市长 [shi4 zhang3] /mayor/\n");
  auto r = Lexicon::Load(path);  // one unreadable line among good ones is tolerated
  REQUIRE(r.ok());
  const Lexicon& lex = *r.value();
  CHECK(lex.size() == 6);
  CHECK(lex.max_word_chars() == 7);
  CHECK(lex.CharPinyin(U'女') == "nv");  // u: -> v
  CHECK(lex.CharPinyin(U'绿') == "lv");
  CHECK(lex.CharPinyin(U'长') == "zhang");  // 3 words read zhang, 1 reads chang
  CHECK(lex.CharPinyin(U'华') == "hua");
  CHECK(Glosses(lex, "长大") == std::vector<std::string>{"grow up"});
  CHECK(Glosses(lex, "女") == std::vector<std::string>{"woman", "female"});
  CHECK(Heads(lex.EnglishToChinese(Stems("People's Republic of China"), 3)) ==
        std::vector<std::string>{"中华人民共和国"});
}

// ---- Error paths ----------------------------------------------------------------

TEST_CASE("Lexicon: missing, empty and non-CEDICT files", "[lexicon][errors]") {
  testutil::TempDir dir;
  const std::string missing = dir / "missing.lex";
  CHECK(Lexicon::Open(missing).status().code() == Code::kIOError);
  CHECK(Lexicon::Load(missing).status().code() == Code::kIOError);
  CHECK(Lexicon::Compile(missing, dir / "out.lex").code() == Code::kIOError);
  CHECK_FALSE(fs::exists(dir / "out.lex"));

  const std::string empty = dir / "empty";
  testutil::WriteFile(empty, "");
  CHECK(Lexicon::Open(empty).status().code() == Code::kCorruption);
  CHECK(Lexicon::Load(empty).status().code() == Code::kCorruption);
  CHECK(Lexicon::Compile(empty, dir / "out.lex").code() == Code::kCorruption);

  const std::string prose = dir / "prose.txt";
  testutil::WriteFile(prose, "hello world\nthis is not a dictionary\nat all\n");
  CHECK(Lexicon::Open(prose).status().code() == Code::kCorruption);
  CHECK(Lexicon::Load(prose).status().code() == Code::kCorruption);
  CHECK_THAT(Lexicon::Load(prose).status().message(), Catch::Contains("not a CC-CEDICT file"));
  CHECK(Lexicon::Compile(prose, dir / "out.lex").code() == Code::kCorruption);
  CHECK_FALSE(fs::exists(dir / "out.lex"));

  const std::string comments = dir / "comments.u8";
  testutil::WriteFile(comments, "# only\n# comments\n");
  CHECK(Lexicon::Load(comments).status().code() == Code::kCorruption);

  // Mostly garbage with one good line: rejected.
  const std::string mostly_bad = dir / "mostly_bad.u8";
  testutil::WriteFile(mostly_bad, "國 国 [guo2] /country/\nx\ny\nz\n");
  CHECK(Lexicon::Load(mostly_bad).status().code() == Code::kCorruption);

  // A directory is neither a lexicon nor a dictionary.
  CHECK_FALSE(Lexicon::Open(dir.path()).ok());
  CHECK_FALSE(Lexicon::Load(dir.path()).ok());

  // Compile into a directory that does not exist.
  CHECK(Lexicon::Compile(testutil::DataPath("mini_cedict.u8"), dir / "no/such/dir/x.lex").code() ==
        Code::kIOError);
}

TEST_CASE("Lexicon: truncated compiled files are corruption, never a crash", "[lexicon][errors]") {
  testutil::TempDir dir;
  const std::string good = testutil::ReadFile(CompiledMini(dir));
  REQUIRE(good.size() > 1000);
  const std::string path = dir / "cut.lex";
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{32}, size_t{63}, size_t{64}, size_t{65},
                   size_t{100}, good.size() / 2, good.size() - 4, good.size() - 1}) {
    INFO("truncated to " << n << " of " << good.size() << " bytes");
    testutil::WriteFile(path, good.substr(0, n));
    CHECK(OpenAndPoke(path) == Code::kCorruption);
    CHECK(Lexicon::Load(path).status().code() == Code::kCorruption);
  }
  // Trailing garbage is corruption too.
  testutil::WriteFile(path, good + "xxxx");
  CHECK(OpenAndPoke(path) == Code::kCorruption);
  // And the untouched file opens.
  testutil::WriteFile(path, good);
  CHECK(OpenAndPoke(path) == Code::kOk);
}

TEST_CASE("Lexicon: damaged headers and bodies never crash", "[lexicon][errors]") {
  testutil::TempDir dir;
  const std::string good = testutil::ReadFile(CompiledMini(dir));
  const std::string path = dir / "bad.lex";

  SECTION("the magic, the file length and the section offsets are checked") {
    // Header: magic[8], then uint32 pool_off, pool_len, entries_off, entries_n,
    // glosses_off, glosses_n, chars_off, chars_n, keys_off, keys_n, posts_off,
    // posts_n, max_word_chars, file_len.
    std::vector<size_t> checked;
    for (size_t i = 0; i < 8; ++i) checked.push_back(i);                 // magic
    for (size_t i = 60; i < 64; ++i) checked.push_back(i);               // file_len
    for (size_t off : {16, 24, 32, 40, 48}) checked.push_back(off + 2);  // section offsets (3rd byte)
    for (size_t i : checked) {
      for (unsigned char x : {0x01, 0x80, 0xFF}) {
        INFO("byte " << i << " xor " << int(x));
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ x);
        testutil::WriteFile(path, bad);
        CHECK(OpenAndPoke(path) == Code::kCorruption);
      }
    }
  }
  SECTION("any single header byte changed: an error or a usable lexicon, never a crash") {
    for (size_t i = 0; i < 64; ++i)
      for (unsigned char x : {0x01, 0x02, 0x10, 0x80, 0xFF}) {
        INFO("byte " << i << " xor " << int(x));
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ x);
        testutil::WriteFile(path, bad);
        const Code c = OpenAndPoke(path);
        CHECK((c == Code::kOk || c == Code::kCorruption));
      }
  }
  SECTION("random damage anywhere in the file") {
    std::mt19937 rng(777);
    int rejected = 0;
    for (int it = 0; it < 300; ++it) {
      std::string bad = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < flips; ++k) bad[rng() % bad.size()] = static_cast<char>(rng() & 0xFF);
      testutil::WriteFile(path, bad);
      const Code c = OpenAndPoke(path);
      CHECK((c == Code::kOk || c == Code::kCorruption));
      rejected += c == Code::kCorruption;
    }
    CHECK(rejected > 0);
  }
}

// Open() is documented to fail with kCorruption on a bad file, but several
// header fields are not validated: a flipped bit in entries_n, chars_n,
// keys_n, pool_off/pool_len or max_word_chars still opens "successfully" and
// silently serves wrong data (lost entries, garbage strings). A header
// checksum or a check that sections are contiguous would catch these.
TEST_CASE("Lexicon: every single-byte header change is detected", "[lexicon][errors][regression]") {
  testutil::TempDir dir;
  const std::string good = testutil::ReadFile(CompiledMini(dir));
  const std::string path = dir / "bad.lex";
  std::vector<std::string> undetected;
  for (size_t i = 0; i < 64; ++i)
    for (unsigned char x : {0x01, 0x80, 0xFF}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ x);
      testutil::WriteFile(path, bad);
      if (Lexicon::Open(path).ok()) undetected.push_back(std::to_string(i) + "^" + std::to_string(x));
    }
  INFO("header byte^mask accepted by Open: " << [&] {
    std::string s;
    for (const std::string& u : undetected) s += u + " ";
    return s;
  }());
  CHECK(undetected.empty());
}

// ---- The full CC-CEDICT --------------------------------------------------------

TEST_CASE("Full CC-CEDICT: real-world lookups", "[lexicon][full]") {
  const Lexicon* full = testutil::FullLexicon();
  if (!full) {
    WARN("build/share/tongwen/cedict.lex not found (scripts/fetch-cedict); skipping");
    return;
  }
  CHECK(full->size() > 100000);
  CHECK(full->max_word_chars() > 5);
  CHECK(AnyContains(Glosses(*full, "蔡英文"), "Tsai Ing-wen"));
  CHECK(AnyContains(Glosses(*full, Fold("美國")), "United States"));
  CHECK(AnyContains(Glosses(*full, Fold("立法院")), "Legislative Yuan"));
  CHECK(full->Contains(Fold("國防")));
  CHECK(full->CharPinyin(U'蔡') == "cai");
  CHECK(full->CharPinyin(U'的') == "de");

  const auto pm = Heads(full->EnglishToChinese(Stems("prime minister"), 10));
  CHECK((Has(pm, "首相") || Has(pm, "总理")));
  CHECK(Has(Heads(full->EnglishToChinese(Stems("budget"), 10)), "预算"));
  CHECK(Has(Heads(full->EnglishToChinese(Stems("Legislative Yuan"), 10)), "立法院"));
}

TEST_CASE("A lexicon compiled by another format version asks to be recompiled", "[lexicon][errors]") {
  testutil::TempDir t;
  const std::string lex = t / "mini.lex";
  REQUIRE(tongwen::Lexicon::Compile(testutil::DataPath("mini_cedict.u8"), lex).ok());
  std::string bytes = testutil::ReadFile(lex);
  bytes[7] = '1';  // "TWLEX001"
  testutil::WriteFile(lex, bytes);
  for (bool open : {true, false}) {
    auto r = open ? tongwen::Lexicon::Open(lex) : tongwen::Lexicon::Load(lex);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == tongwen::Code::kCorruption);
    CHECK(r.status().message().find("recompile it with `indexer compile-dictionary`") != std::string::npos);
  }
}

TEST_CASE("Lexicon::MayStartWord never says no to a headword's first two characters", "[lexicon]") {
  const Lexicon& lex = testutil::MiniLexicon();
  // Every multi-character headword of the fixture (Simplified-folded).
  for (const char* w : {"中国",   "亚利桑那州", "京都", "北京", "半导体", "台湾",   "台积电", "国民党",
                        "国防部", "地震",       "晶圆", "东京", "柯文哲", "民进党", "总统府", "蔡英文",
                        "贸易战", "赖清德",     "选举", "关税", "预算",   "台风",   "鸿海"}) {
    INFO(w);
    REQUIRE(lex.Contains(w));
    const std::u32string cps = tongwen::DecodeUtf8(w);
    std::string two;
    tongwen::AppendUtf8(cps[0], &two);
    tongwen::AppendUtf8(cps[1], &two);
    CHECK(lex.MayStartWord(two));
  }
  // No headword starts with these (the filter may say maybe for a few
  // pairs; with this small fixture none of these collide).
  int maybes = 0;
  for (const char* two : {"的的", "了在", "是和", "和是", "算预", "震地", "们人", "的了"})
    maybes += lex.MayStartWord(two);
  CHECK(maybes == 0);
}
