// QueryBuilder's dictionary and index lookups: translations both ways,
// regional variants, document frequencies and the title-field queries of
// translations, remembered in the TranslationMemo.
#include <algorithm>
#include <cmath>

#include "query/query_builder.h"
#include "schema/schema.h"
#include "schema/terms.h"

namespace tongwen {

namespace s = schema;

void TranslationMemo::Refresh(const Xapian::Database& db) {
  const Xapian::rev rev = db.get_revision();
  if (filled_ && rev == revision_ &&
      e2z.size() + variants.size() + han_text.size() + df.size() <= kMaxEntries)
    return;
  e2z.clear();
  variants.clear();
  han_text.clear();
  df.clear();
  filled_ = true;
  revision_ = rev;
}

double QueryBuilder::WeightOfDf(double df) const {
  // As Xapian::BM25Weight::init computes it: a term in more than half the
  // documents keeps a small positive weight.
  const double n = db_.get_doccount();
  double tw = (n - df + 0.5) / (df + 0.5);
  if (tw < 2) tw = tw * 0.5 + 1;
  return std::log(tw);
}

double QueryBuilder::Df(const std::string& term) const {
  auto it = memo_->df.find(term);
  if (it == memo_->df.end()) it = memo_->df.emplace(term, db_.get_termfreq(term)).first;
  return it->second;
}

Xapian::Query QueryBuilder::HanTitleQuery(const std::string& han, std::unordered_set<std::string>* hl,
                                          double* df) const {
  std::vector<Xapian::Query> parts;
  double rarest = db_.get_doccount();
  AnalyzeOptions ao;
  ao.bigrams = false;
  an_.Analyze(han, ao, [&](const Token& t) {
    if (t.script != Script::kHan) return;
    const std::string term = s::FieldTextTerm(s::kTitlePrefix, false, t.text);
    rarest = std::min(rarest, Df(term));
    if (hl) hl->insert(t.text);  // the snippet highlights the plain word
    parts.emplace_back(term);
  });
  *df = parts.empty() ? 0 : rarest;
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

Xapian::Query QueryBuilder::GlossTitleQuery(const std::vector<std::string>& stems, double* df) const {
  std::vector<Xapian::Query> parts;
  double rarest = db_.get_doccount();
  for (const std::string& st : stems) {
    const std::string term = s::FieldTextTerm(s::kTitlePrefix, true, st);
    rarest = std::min(rarest, Df(term));
    parts.emplace_back(term);
  }
  *df = parts.empty() ? 0 : rarest;
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

double QueryBuilder::TextDf(const std::string& han) const {
  const std::string key = "\x01" + han;  // apart from the terms
  auto it = memo_->df.find(key);
  if (it != memo_->df.end()) return it->second;
  double df = Df(han);
  if (df == 0) {
    std::vector<Token> bg;
    AnalyzeOptions ao;
    an_.Analyze(han, ao, [&](const Token& t) {
      if (t.kind == TokenKind::kBigram) bg.push_back(t);
    });
    if (!bg.empty()) df = db_.get_doccount();
    for (const Token& t : bg) df = std::min(df, Df(s::BigramTerm(t.text)) + Df(t.text));
  }
  return memo_->df.emplace(key, df).first->second;
}

// Build() constructs the query three times (all, any, relaxed), and a worker
// sees the same words again and again: the lookups behind each translation
// are made once and remembered in the memo.
std::vector<Translation> QueryBuilder::EnglishToChinese(const std::vector<std::string>& stems) const {
  std::string key;
  for (const std::string& st : stems) key.append(st).push_back(' ');
  auto it = memo_->e2z.find(key);
  if (it == memo_->e2z.end()) it = memo_->e2z.emplace(key, ComputeEnglishToChinese(stems)).first;
  return it->second;
}

std::vector<std::string> QueryBuilder::ChineseVariants(const std::string& word) const {
  auto it = memo_->variants.find(word);
  if (it == memo_->variants.end()) it = memo_->variants.emplace(word, ComputeChineseVariants(word)).first;
  return it->second;
}

std::vector<Translation> QueryBuilder::ComputeEnglishToChinese(const std::vector<std::string>& stems) const {
  std::vector<Translation> out;
  if (!lex_) return out;
  std::vector<LexCandidate> cands =
      lex_->EnglishToChinese(stems, opt_.max_translations * 4, Lexicon::Match::kPrefix);
  Collect(cands, &out);
  if (out.empty() && stems.size() == 1)
    Collect(lex_->EnglishToChinese(stems, opt_.max_translations * 4, Lexicon::Match::kNamePart), &out);
  // A single character is a poor translation of a whole English word
  // ("typhoon" -> 台 via 颱): keep single characters only when nothing longer
  // translates the word.
  if (std::any_of(out.begin(), out.end(), [](const Translation& t) { return DecodeUtf8(t.term).size() > 1; }))
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const Translation& t) { return DecodeUtf8(t.term).size() == 1; }),
              out.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const Translation& a, const Translation& b) { return a.weight > b.weight; });
  if (out.size() > opt_.max_translations) out.resize(opt_.max_translations);
  double top = out.empty() ? 1 : out[0].weight;
  for (Translation& t : out) t.weight = std::round(1000 * t.weight / top) / 1000;
  return out;
}

std::vector<std::string> QueryBuilder::SplitSyllables(const std::string& w) const {
  // Longest-first split into 2 or 3 pinyin syllables; empty if none.
  std::vector<std::string> out;
  if (!lex_ || w.size() < 4 || w.size() > 18) return out;
  for (size_t a = std::min<size_t>(6, w.size() - 1); a >= 1; --a) {
    if (!lex_->IsSyllable(w.substr(0, a))) continue;
    const std::string rest = w.substr(a);
    if (lex_->IsSyllable(rest)) return {w.substr(0, a), rest};
    for (size_t b = std::min<size_t>(6, rest.size() - 1); b >= 1; --b)
      if (lex_->IsSyllable(rest.substr(0, b)) && lex_->IsSyllable(rest.substr(b)))
        return {w.substr(0, a), rest.substr(0, b), rest.substr(b)};
  }
  return out;
}

std::vector<std::string> QueryBuilder::ComputeChineseVariants(const std::string& word) const {
  std::vector<std::string> out;
  if (!lex_ || DecodeUtf8(word).size() < 2) return out;
  std::vector<std::vector<std::string>> glosses = ChineseToEnglish(word);
  if (glosses.size() > 2) glosses.resize(2);
  for (const auto& g : glosses) {
    for (const LexCandidate& c : lex_->EnglishToChinese(g, 8)) {
      std::string hw(c.headword);
      if (c.score < 0.75f || hw == word || DecodeUtf8(hw).size() < 2) continue;
      if (std::find(out.begin(), out.end(), hw) != out.end()) continue;
      if (db_.get_termfreq(hw) == 0) continue;
      out.push_back(std::move(hw));
      if (out.size() >= 3) return out;
    }
  }
  return out;
}

// Keeps the candidates that occur in the index, scored by dictionary rank
// and index frequency.
void QueryBuilder::Collect(const std::vector<LexCandidate>& cands, std::vector<Translation>* out) const {
  for (const LexCandidate& c : cands) {
    std::string hw(c.headword);
    Xapian::doccount df = db_.get_termfreq(hw);
    if (df == 0) {
      // The index may have segmented the word differently: estimate from
      // its bigrams (all must occur).
      std::vector<Token> bg;
      AnalyzeOptions ao;
      an_.Analyze(hw, ao, [&](const Token& t) {
        if (t.kind == TokenKind::kBigram) bg.push_back(t);
      });
      if (!bg.empty()) {
        df = UINT32_MAX;
        for (const Token& t : bg)
          df = std::min(df, db_.get_termfreq(s::BigramTerm(t.text)) + db_.get_termfreq(t.text));
      }
    }
    if (df == 0) continue;
    double score = c.score * std::log(2.0 + df);
    if (std::any_of(out->begin(), out->end(), [&](const Translation& t) { return t.term == hw; })) continue;
    out->push_back(Translation{hw, score});
  }
}

std::vector<std::vector<std::string>> QueryBuilder::ChineseToEnglish(const std::string& word) const {
  std::vector<std::vector<std::string>> out;
  LexEntry e;
  if (!lex_ || IsChineseStopWord(word) || !lex_->Lookup(word, &e)) return out;
  Analyzer plain(nullptr);
  AnalyzeOptions ao;
  ao.drop_stopwords = true;
  for (std::string_view g : e.glosses) {
    std::vector<std::string> stems;
    plain.Analyze(g, ao, [&](const Token& t) {
      if (t.script == Script::kLatin) stems.push_back(t.text);
    });
    if (stems.empty() || stems.size() > 4) continue;
    if (std::find(out.begin(), out.end(), stems) != out.end()) continue;
    out.push_back(std::move(stems));
    if (out.size() >= opt_.max_glosses) break;
  }
  return out;
}

}  // namespace tongwen
