// libFuzzer target: the analysis chain (tongwen::Analyzer::Analyze), without
// a lexicon and with the small CC-CEDICT fixture (tests/data/mini_cedict.u8).
// The first byte picks the lexicon and the AnalyzeOptions; the rest is the
// text. Checks, beyond the sanitizers, the token rules analysis.h states:
// offsets inside the text and not empty, terms non-empty valid UTF-8, word
// positions consecutive from first_pos, bigrams at their word's position,
// and the returned position is the last word's.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "tongwen/analysis.h"
#include "tongwen/lexicon.h"

namespace {

[[noreturn]] void Fail(const char* what, const tongwen::Token& t) {
  std::fprintf(stderr, "analyzer_fuzz: %s (token of %zu bytes at [%u,%u) pos %u)\n", what, t.text.size(),
               t.begin, t.end, t.pos);
  std::abort();
}

const tongwen::Lexicon* MiniLexicon() {
  static std::unique_ptr<tongwen::Lexicon> lex = [] {
    auto r = tongwen::Lexicon::Load(TONGWEN_FUZZ_LEXICON);
    if (!r.ok()) {
      std::fprintf(stderr, "analyzer_fuzz: %s\n", r.status().ToString().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return lex.get();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  MiniLexicon();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const tongwen::Analyzer analyzer((sel & 1) ? MiniLexicon() : nullptr);
  tongwen::AnalyzeOptions opt;
  opt.stem = !(sel & 2);
  opt.bigrams = !(sel & 4);
  opt.drop_stopwords = sel & 8;
  opt.han_words = !(sel & 16);
  opt.first_pos = 1 + (sel >> 5) * 1000;

  uint32_t word_pos = opt.first_pos - 1, word_begin = 0, word_end = 0;
  bool have_word = false;
  const uint32_t last = analyzer.Analyze(text, opt, [&](const tongwen::Token& t) {
    if (t.begin >= t.end) Fail("empty or inverted offsets", t);
    if (t.end > text.size()) Fail("offset past the end of the text", t);
    if (t.text.empty()) Fail("empty term", t);
    if (!tongwen::IsValidUtf8(t.text)) Fail("term is not valid UTF-8", t);
    if (t.kind == tongwen::TokenKind::kWord) {
      if (t.pos != word_pos + 1) Fail("word positions are not consecutive", t);
      if (have_word && (t.begin < word_begin || t.end < word_end)) Fail("word offsets went backwards", t);
      have_word = true;
      word_pos = t.pos;
      word_begin = t.begin;
      word_end = t.end;
    } else {
      if (t.script != tongwen::Script::kHan) Fail("bigram that is not Han", t);
      if (!have_word || t.pos != word_pos) Fail("bigram not at its word's position", t);
    }
    if (t.script == tongwen::Script::kLatin && t.raw.empty()) Fail("Latin token without raw text", t);
  });
  if (last != word_pos) {
    std::fprintf(stderr, "analyzer_fuzz: returned position %u, last word at %u\n", last, word_pos);
    std::abort();
  }
  return 0;
}
