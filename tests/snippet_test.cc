// MakeSnippet on long texts: matches past the first scans (1 KB, then 8 KB)
// are found and marked at the right place, and scan boundaries cut no word.
#include "search/snippet.h"

#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "test_util.h"

#include "tongwen/analysis.h"

namespace {

// `n` bytes of English filler without any of the test's terms.
std::string Filler(size_t n) {
  std::string s;
  while (s.size() < n) s += "the harbour office opened early today and ";
  s.resize(n);
  return s;
}

// `n` bytes of Han filler (3 bytes a character) without the test's terms.
std::string HanFiller(size_t chars) {
  std::string s;
  for (size_t i = 0; i < chars; ++i) s += (i % 2) ? "港" : "口";
  return s;
}

}  // namespace

TEST_CASE("MakeSnippet marks matches past the first scans, cutting no word", "[snippet]") {
  tongwen::Analyzer an(&testutil::MiniLexicon());
  const std::unordered_set<std::string> terms = {"Ztariff", "关税"};
  struct Row {
    const char* what;
    std::string text;
    std::string expect;  // must appear in the snippet
    bool matched;
  };
  const Row rows[] = {
      {"English, in the first KB", "New tariff rules. " + Filler(3000), "New <mark>tariff</mark> rules.",
       true},
      {"English, after 3 KB", Filler(3000) + " new tariff rules " + Filler(500),
       "new <mark>tariff</mark> rules", true},
      {"English, after 9 KB", Filler(9000) + " new tariffs announced " + Filler(500),
       "new <mark>tariffs</mark> announced", true},
      // The word straddles byte 1024, where the first scan ends.
      {"English, across the first scan's end", Filler(1020) + " tariff raised " + Filler(2000),
       "<mark>tariff</mark> raised", true},
      {"Han, after 4 KB", HanFiller(1500) + "美國提高關稅。" + HanFiller(200), "美國提高<mark>關稅</mark>。",
       true},
      {"Han, after 9 KB", HanFiller(3100) + "關稅" + HanFiller(50), "<mark>關稅</mark>", true},
      {"no match: the start is shown", "Opening line. " + Filler(12000), "Opening line.", false},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    bool matched = false;
    const std::string snip = tongwen::MakeSnippet(an, r.text, terms, 160, &matched);
    INFO(snip);
    CHECK(matched == r.matched);
    CHECK(snip.find(r.expect) != std::string::npos);
  }
}

TEST_CASE("MakeSnippet marks one-character words whose term has a prefix (Z3, Zx)", "[snippet][regression]") {
  // The sieve that skips most tokens before the term lookup keyed a term on
  // its last two bytes: for a one-character word the second-to-last byte is
  // the prefix's, which the lookup side left out, so "3" (term Z3) was never
  // marked.
  tongwen::Analyzer an(&testutil::MiniLexicon());
  struct Row {
    std::unordered_set<std::string> terms;
    std::string text, expect;
  };
  const std::vector<Row> rows = {
      {{"Z3"}, "Growth was 3 percent this year.", "Growth was <mark>3</mark> percent"},
      {{"Zx"}, "Model x sold well.", "Model <mark>x</mark> sold"},
      {{"Zgrowth"}, "Growth was 3 percent this year.", "<mark>Growth</mark> was 3"},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    bool matched = false;
    const std::string snip = tongwen::MakeSnippet(an, r.text, r.terms, 160, &matched);
    INFO(snip);
    CHECK(matched);
    CHECK(snip.find(r.expect) != std::string::npos);
  }
}

TEST_CASE("MakeSnippet gives the same snippet with and without its prefilter (random texts)",
          "[snippet][property]") {
  // The prefilter only skips text in which no token can match: snippets,
  // marks and `matched` must be byte-identical to a full analysis, for texts
  // of tricky pieces (some past the 1 KB and 8 KB scans) and terms taken
  // from the analysis of random pieces (stems, Han words, bigrams).
  tongwen::Analyzer an(&testutil::MiniLexicon());
  const std::vector<std::string>& pieces = testutil::TrickyUtf8Pieces();
  const std::vector<std::string> extra = {"tariff ", "Tariffs, ", "關稅", "关税", "國防預算",
                                          "dying ",  "U.S. ",     "3.5 ", "the ", "港口",
                                          " ",       "\n",        "。",   "，"};
  std::mt19937 rng(20261126);
  size_t matched_count = 0, runs = 0;
  for (int it = 0; it < 1500; ++it) {
    std::string text;
    const size_t n = rng() % 6 == 0 ? 3000 : rng() % 60;
    for (size_t k = 0; k < n; ++k) {
      const uint32_t r = rng() % 10;
      text += r < 5 ? pieces[rng() % pieces.size()] : extra[rng() % extra.size()];
    }
    std::unordered_set<std::string> terms;
    for (int k = static_cast<int>(1 + rng() % 3); k > 0; --k) {
      const std::string& src = rng() % 2 ? extra[rng() % extra.size()] : pieces[rng() % pieces.size()];
      an.Analyze(src, {}, [&](const tongwen::Token& t) {
        if (rng() % 2) return;
        if (t.kind == tongwen::TokenKind::kBigram) {
          terms.insert("XB" + t.text);
          terms.insert(t.text);
        } else {
          terms.insert((t.script == tongwen::Script::kLatin ? "Z" : "") + t.text);
        }
      });
    }
    for (size_t max_chars : {size_t{40}, size_t{160}}) {
      bool m1 = false, m2 = false;
      tongwen::SnippetOptions full;
      full.prefilter = false;
      const std::string a = tongwen::MakeSnippet(an, text, terms, max_chars, &m1);
      const std::string b = tongwen::MakeSnippet(an, text, terms, max_chars, &m2, full);
      ++runs;
      if (a != b || m1 != m2) {
        std::string t;
        for (const std::string& x : terms) t += x + " ";
        FAIL("terms " << t << "\ntext " << text << "\nprefiltered " << a << "\nfull        " << b);
      }
      matched_count += m1;
    }
  }
  CHECK(runs == 3000);
  CHECK(matched_count > 500);  // many texts hold a term
}
