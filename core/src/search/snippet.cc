#include "search/snippet.h"

#include <algorithm>
#include <bitset>
#include <optional>
#include <vector>

#include "schema/terms.h"
#include "text/token_prefilter.h"

namespace tongwen {

void AppendHtmlEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&#39;";
        break;
      default:
        out->push_back(c);
    }
  }
}

namespace {

struct Span {
  uint32_t begin, end;
  std::string term;
};

// A cheap pre-check before the hash-set lookup of every token: a 4096-bit
// table of (term length, last two bytes). Most tokens of a text are not query
// terms, and this rejects nearly all of them without hashing or building the
// term string (the set lookups were a large part of a snippet's time).
class TermSieve {
 public:
  explicit TermSieve(const std::unordered_set<std::string>& terms) {
    for (const std::string& t : terms) bits_[Slot({}, t)] = true;
  }
  // Whether `prefix` followed by `text` may be a term.
  bool MayContain(std::string_view prefix, std::string_view text) const { return bits_[Slot(prefix, text)]; }

 private:
  // The slot of the term prefix + text. Its last two bytes may straddle the
  // two (a one-byte word after its prefix: Z3).
  static size_t Slot(std::string_view prefix, std::string_view text) {
    const size_t n = prefix.size() + text.size();
    auto byte = [&](size_t back) -> unsigned {  // the byte `back` from the end, 0 if none
      if (back <= text.size()) return static_cast<unsigned char>(text[text.size() - back]);
      const size_t p = back - text.size();
      return p <= prefix.size() ? static_cast<unsigned char>(prefix[prefix.size() - p]) : 0;
    };
    const unsigned b1 = byte(1), b2 = byte(2);
    return ((n * 0x9E3779B1u) ^ (b2 << 6) ^ b1 ^ (b2 >> 2)) & 4095;
  }
  std::bitset<4096> bits_;
};

// Byte offset `n` characters after `from` (or the end).
size_t AdvanceChars(std::string_view s, size_t from, size_t n) {
  size_t i = from;
  while (i < s.size() && n > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --n;
  }
  return i;
}

size_t BackChars(std::string_view s, size_t from, size_t n) {
  size_t i = from;
  while (i > 0 && n > 0) {
    --i;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    --n;
  }
  return i;
}

}  // namespace

// What a search's terms give every snippet of its hits, prepared once.
struct Snippeter::Impl {
  Impl(const Analyzer& a, const std::unordered_set<std::string>& t) : an(a), terms(t), sieve(t) {
    // A single Han character of the query (from a name ICU split, 柯|文|哲)
    // would light up that character everywhere (文 in 文化): when the query
    // has longer Han terms, characters only count as part of a bigram.
    for (const std::string& x : terms)
      if (schema::IsHanWordTerm(x) && DecodeUtf8(x).size() >= 2) han_multi = true;
    // Characters and bigrams locate every Han match (a word of the query is
    // searched through its bigrams, a two-character word is its own
    // bigram), so the ICU word break is skipped here. Only words that may
    // stem to a query stem are stemmed.
    for (const std::string& x : terms)
      if (schema::IsStemTerm(x)) stem_keys.push_back(EnglishFilters::StemKey(schema::StemOf(x)));
    ao.han_words = false;
    ao.stem_keys = &stem_keys;
    // What the prefilter looks for: the stems, and the Han characters and
    // bigrams among the terms, bare or as bigram terms (longer Han terms
    // are matched through their bigrams, which are terms too; a single
    // character only counts as above).
    std::vector<char32_t> han_singles;
    std::vector<std::pair<char32_t, char32_t>> han_pairs;
    std::vector<std::string> stems;
    for (const std::string& x : terms) {
      if (schema::IsStemTerm(x)) {
        stems.emplace_back(schema::StemOf(x));
        continue;
      }
      const std::string_view v = schema::WithoutBigramPrefix(x);
      if (!schema::IsHanWordTerm(v)) continue;
      const std::u32string cps = DecodeUtf8(v);
      if (cps.size() == 1 && !han_multi) han_singles.push_back(cps[0]);
      if (cps.size() == 2) han_pairs.emplace_back(cps[0], cps[1]);
    }
    prefilter.emplace(std::move(han_singles), std::move(han_pairs), std::move(stems));
  }
  const Analyzer& an;
  const std::unordered_set<std::string>& terms;
  const TermSieve sieve;
  bool han_multi = false;
  std::vector<uint16_t> stem_keys;
  AnalyzeOptions ao;
  std::optional<TokenPrefilter> prefilter;
};

Snippeter::Snippeter(const Analyzer& an, const std::unordered_set<std::string>& terms)
    : impl_(std::make_unique<Impl>(an, terms)) {}
Snippeter::~Snippeter() = default;

std::string MakeSnippet(const Analyzer& an, std::string_view text,
                        const std::unordered_set<std::string>& terms, size_t max_chars, bool* matched,
                        const SnippetOptions& opt) {
  return Snippeter(an, terms).Make(text, max_chars, matched, opt);
}

std::string Snippeter::Make(std::string_view text, size_t max_chars, bool* matched,
                            const SnippetOptions& opt) const {
  const Analyzer& an = impl_->an;
  const std::unordered_set<std::string>& terms = impl_->terms;
  const TermSieve& sieve = impl_->sieve;
  const bool han_multi = impl_->han_multi;
  const AnalyzeOptions& ao = impl_->ao;
  const TokenPrefilter* prefilter = opt.prefilter ? &*impl_->prefilter : nullptr;
  std::vector<Span> spans;
  std::string term;
  // A token of the text (offsets from `offset`): a span if it is a term.
  auto OnToken = [&](const Token& t, uint32_t offset) {
    const bool bigram = t.kind == TokenKind::kBigram;
    const std::string_view prefix = schema::TextTermPrefix(t);
    const bool as_term = sieve.MayContain(prefix, t.text);
    const bool as_text = bigram && sieve.MayContain({}, t.text);
    if (!as_term && !as_text) return;
    schema::AssignTextTerm(&term, t);  // without a new string per token
    const bool single_han = t.script == Script::kHan && !bigram;
    if ((as_term && terms.count(term) && !(single_han && han_multi)) || (as_text && terms.count(t.text)))
      spans.push_back(Span{offset + t.begin, offset + t.end, term});
  };
  // Analyses text[b, e).
  auto Scan = [&](size_t b, size_t e) {
    const auto offset = static_cast<uint32_t>(b);
    an.Analyze(text.substr(b, e - b), ao, [&](const Token& t) { OnToken(t, offset); });
  };
  std::vector<Token> found;
  // Most matches are near the start of a news article: the first 1 KB is
  // scanned, then 8 KB, then up to 32 KB while nothing has matched.
  // Each further scan continues where the previous one stopped, so a version
  // without any match (a hit found through its other language) is analysed
  // once, not once per scan. Scans end at a space when there is one near,
  // so that no English word is cut in two.
  size_t done = 0;
  for (size_t limit : {size_t{1024}, size_t{8192}, size_t{32 * 1024}}) {
    size_t end = std::min(text.size(), limit);
    while (end < text.size() && end > done && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (end < text.size())
      for (size_t k = end; k > done && end - k < 32; --k)
        if (text[k - 1] == ' ' || text[k - 1] == '\n') {
          end = k;
          break;
        }
    const size_t begin = done;
    done = end;
    if (!prefilter) {
      Scan(begin, end);
    } else {
      // The prefilter finds the tokens of interest itself where it can
      // tell; around a place where it cannot, the text from the last space
      // before to the next space is analysed (no token crosses a space).
      const std::string_view chunk = text.substr(0, end);
      size_t at = begin, floor = begin;
      while (at < end) {
        size_t resume = at;
        const size_t c = prefilter->Next(chunk, at, &found, &resume);
        if (c == std::string_view::npos) break;
        if (!found.empty()) {
          for (const Token& t : found) OnToken(t, 0);
          at = resume;
          continue;
        }
        size_t rb = c, re = c;
        while (rb > floor && !IsSegmentSpace(text[rb - 1])) --rb;
        while (re < end && !IsSegmentSpace(text[re])) ++re;
        while (!spans.empty() && spans.back().begin >= rb) spans.pop_back();  // found again below
        Scan(rb, re);
        at = floor = re;
      }
    }
    if (!spans.empty() || done == text.size()) break;
  }
  if (matched) *matched = !spans.empty();
  // Merge overlapping spans (a word and its bigrams).
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });

  size_t win_begin = 0;
  if (!spans.empty()) {
    // Choose the window start (a span start) covering the most distinct terms.
    size_t best = 0, best_score = 0;
    for (size_t i = 0; i < spans.size() && i < 256; ++i) {
      size_t limit = AdvanceChars(text, spans[i].begin, max_chars * 3 / 4);
      std::unordered_set<std::string_view> seen;
      for (size_t j = i; j < spans.size() && spans[j].end <= limit; ++j) seen.insert(spans[j].term);
      if (seen.size() > best_score) {
        best_score = seen.size();
        best = i;
      }
    }
    // Start a little before the first match, at a word boundary if near.
    win_begin = BackChars(text, spans[best].begin, max_chars / 4);
    if (win_begin <= 8) {
      win_begin = 0;  // close to the start: show the start
    } else {
      for (size_t k = win_begin; k < spans[best].begin && k < win_begin + 24; ++k)
        if (text[k] == ' ' || text[k] == '\n') {
          win_begin = k + 1;
          break;
        }
    }
  }
  size_t win_end = AdvanceChars(text, win_begin, max_chars);
  // Prefer to end at a space when one is near.
  if (win_end < text.size()) {
    for (size_t k = win_end; k > win_begin && win_end - k < 16; --k)
      if (text[k] == ' ') {
        win_end = k;
        break;
      }
  }
  std::string out;
  if (win_begin > 0) out += "\xE2\x80\xA6";  // …
  size_t at = win_begin;
  for (const Span& sp : spans) {
    if (sp.end <= at || sp.begin >= win_end) continue;
    size_t b = std::max<size_t>(sp.begin, at);
    size_t e = std::min<size_t>(sp.end, win_end);
    AppendHtmlEscaped(text.substr(at, b - at), &out);
    out += "<mark>";
    AppendHtmlEscaped(text.substr(b, e - b), &out);
    out += "</mark>";
    at = e;
  }
  AppendHtmlEscaped(text.substr(at, win_end - at), &out);
  if (win_end < text.size()) out += "\xE2\x80\xA6";
  // Paragraph breaks read as spaces in a one-line snippet.
  std::replace(out.begin(), out.end(), '\n', ' ');
  // Adjacent marks (a word and the next bigram) are one highlight.
  for (size_t p; (p = out.find("</mark><mark>")) != std::string::npos;) out.erase(p, 13);
  return out;
}

}  // namespace tongwen
