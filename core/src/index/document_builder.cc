// Article -> Xapian::Document. The term and value layout is in schema/.
#include "index/document_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <xapian.h>

#include "index/simhash.h"
#include "positions/position_stream.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "schema/weighting.h"
#include "store/stored_article.h"

#include "tongwen/analysis.h"
#include "tongwen/lexicon.h"

namespace tongwen {
namespace {

// The positions of a document's positional terms (schema.h), one stream per
// position space.
struct Positions {
  PositionStream words, pinyin;
};

// The last English stems of a field at consecutive positions (up to 4), to
// find the multi-word glosses among them (schema::kGlossPrefix). Whether a
// stem may start a gloss is looked up once, when it enters the window, not
// again at each slide.
class GlossWindow {
 public:
  // Adds the stem at `pos` and adds an XG term for each gloss of 2-4 words
  // that ends with it.
  void Add(uint32_t pos, std::string_view stem, const Lexicon& lex, Xapian::termcount wdf,
           Xapian::Document* doc) {
    if (n_ && pos != pos_ + 1) n_ = 0;
    pos_ = pos;
    if (n_ == kMax) {
      std::rotate(stems_, stems_ + 1, stems_ + kMax);
      std::rotate(starts_, starts_ + 1, starts_ + kMax);
      --n_;
    }
    stems_[n_].assign(stem);
    starts_[n_] = lex.MayStartGlossPhrase(stem);
    ++n_;
    for (size_t k = 2; k <= n_; ++k) {
      if (!starts_[n_ - k]) continue;
      joined_.assign(stems_[n_ - k]);
      for (size_t i = n_ - k + 1; i < n_; ++i) joined_.append(" ").append(stems_[i]);
      if (!lex.IsGlossPhrase(joined_)) continue;
      doc->add_term(schema::GlossTerm(joined_), wdf);
    }
  }

 private:
  static constexpr size_t kMax = 4;
  std::string stems_[kMax], joined_;
  bool starts_[kMax] = {};
  size_t n_ = 0;
  uint32_t pos_ = 0;
};

// Adds the analysed terms of one field. `title` adds the S-prefixed copy
// (not positional) and boosts the unprefixed terms (schema::kTitleWdf).
// Pinyin syllables get their own position space (one position per Han
// character, `char_pos`), so a romanised name is an adjacent-syllable phrase.
// In a Chinese version (`chinese`), a Latin word is an XZ term, on the Han
// side with the version's other words (schema.h), and starts no gloss.
uint32_t IndexText(const Analyzer& an, std::string_view text, uint32_t first_pos, bool title, bool chinese,
                   Xapian::Document* doc, uint32_t* char_pos, Positions* positions) {
  namespace s = schema;
  const Xapian::termcount wdf = title ? s::kTitleWdf : 1;
  const Lexicon* lex = an.lexicon();
  AnalyzeOptions opt;
  opt.first_pos = first_pos;
  std::string term, title_term, py;
  // The current Han word (bigrams follow their word). A copy: the token's text
  // is the analyzer's buffer, which the next token overwrites.
  std::string word;
  GlossWindow glosses;
  return an.Analyze(text, opt, [&](const Token& t) {
    if (t.kind == TokenKind::kBigram) {
      // A bigram that is the whole current word adds nothing the word term
      // does not: the query side searches a bigram as SYNONYM(bigram, word).
      if (t.text == word) return;
      s::AssignTextTerm(&term, t);
      doc->add_term(term, wdf);
      return;
    }
    if (t.script == Script::kLatin) {
      word.clear();
      if (chinese)
        s::AssignHanLatinTerm(&term, {}, t.text);
      else
        s::AssignTextTerm(&term, t);
      doc->add_term(term, wdf);
      positions->words.Add(t.pos, term);
      if (lex && !chinese) glosses.Add(t.pos, t.text, *lex, wdf, doc);
      if (title) {
        if (chinese)
          s::AssignHanLatinTerm(&title_term, s::kTitlePrefix, t.text);
        else
          s::AssignFieldTextTerm(&title_term, s::kTitlePrefix, true, t.text);
        doc->add_term(title_term);
      }
      return;
    }
    if (t.text.size() + s::kTitlePrefix.size() > s::kMaxTermBytes) {
      // Too long for a term (schema::kMaxTermBytes): its bigrams index it.
      word.clear();
      if (lex) *char_pos += static_cast<uint32_t>(DecodeUtf8(t.text).size());
      return;
    }
    word = t.text;
    doc->add_term(t.text, wdf);
    positions->words.Add(t.pos, t.text);
    if (title) {
      s::AssignFieldTextTerm(&title_term, s::kTitlePrefix, false, t.text);
      doc->add_term(title_term);
    }
    // Romanisation: pinyin syllable terms in their own position space (one
    // position per Han character), so a Latin-script name can match as an
    // adjacent-syllable phrase. Only characters that may belong to a name
    // are indexed: single characters that are not stop words (ICU leaves
    // unknown names as single characters) and words the dictionary does not
    // know. Dictionary words are found through translation instead. (Pair
    // terms without positions made the index smaller but lost romanised
    // precision on bench/romanised.)
    if (lex) {
      const std::u32string cps = DecodeUtf8(t.text);
      const bool romanise = cps.size() == 1 ? !IsChineseStopWord(t.text) : !lex->Contains(t.text);
      for (char32_t cp : cps) {
        ++*char_pos;
        if (!romanise) continue;
        std::string_view syl = lex->CharPinyin(cp);
        if (syl.empty()) continue;
        s::AssignPinyinTerm(&py, syl);
        doc->add_term(py);
        positions->pinyin.Add(*char_pos, py);
      }
    }
  });
}

// Adds the text terms of every version's title and body, with their raw
// wdfs (NormalizeWdfs rewrites them).
void AddTextTerms(const Article& a, const Analyzer& an, Xapian::Document* doc, Positions* positions) {
  uint32_t pos = 0, char_pos = 0;
  for (const Version& v : a.versions) {
    const bool chinese = v.lang == "zh";
    if (!v.title.empty()) {
      pos = IndexText(an, v.title, pos + 1, true, chinese, doc, &char_pos, positions) + schema::kFieldGap;
      char_pos += schema::kFieldGap;
    }
    if (!v.body.empty()) {
      pos = IndexText(an, v.body, pos + 1, false, chinese, doc, &char_pos, positions) + schema::kFieldGap;
      char_pos += schema::kFieldGap;
    }
  }
}

// The sums of the document's wdfs on each script side: the lengths of its
// versions as BM25 sees them.
VersionLengths SideLengths(const Xapian::Document& doc) {
  VersionLengths l;
  for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
    (schema::IsHanSideTerm(*t) ? l.han : l.latin) += t.get_wdf();
  return l;
}

// Rewrites each text term's raw wdf as its normalised wdf (weighting.h),
// against the length of its own script side: an article's English version
// and its Chinese versions are normalised each as a document of its own, so
// a bilingual article's version scores as the same text alone would (the
// search scores an article as its better side; issue 14).
// Xapian's Document has no wdf setter: a term gets the difference added, or
// is removed and added again in the rare case its wdf shrinks.
void NormalizeWdfs(const VersionLengths& reference, Xapian::Document* doc) {
  std::vector<std::pair<std::string, Xapian::termcount>> raw;
  raw.reserve(doc->termlist_count());
  for (Xapian::TermIterator t = doc->termlist_begin(); t != doc->termlist_end(); ++t) {
    const Xapian::termcount wdf = t.get_wdf();
    if (!wdf) continue;  // boolean terms
    raw.emplace_back(*t, wdf);
  }
  const VersionLengths length = SideLengths(*doc);
  const double latin_norm = LengthNorm(length.latin, reference.latin);
  const double han_norm = LengthNorm(length.han, reference.han);
  for (const auto& [term, wdf] : raw) {
    const Xapian::termcount want = NormalizedWdf(wdf, schema::IsHanSideTerm(term) ? han_norm : latin_norm);
    if (want > wdf) {
      doc->add_term(term, want - wdf);
    } else if (want < wdf) {
      doc->remove_term(term);
      doc->add_term(term, want);
    }
  }
}

}  // namespace

Result<VersionLengths> ReadAverageLength(const Xapian::Database& db, const std::string& where) {
  const std::string v = db.get_metadata(std::string(schema::kMetaAverageLength));
  const std::string name = "metadata " + std::string(schema::kMetaAverageLength);
  if (v.empty() && db.get_doccount() == 0) return VersionLengths{};
  if (v.empty()) return Status::Corruption(where + ": " + name + " is missing; run `indexer rebuild`");
  VersionLengths out;
  const char* p = v.c_str();
  bool ok = true;
  for (double* side : {&out.latin, &out.han}) {
    if (side == &out.han) ok = ok && *p++ == ' ';
    if (!ok || *p == ' ' || *p == '\0') {
      ok = false;
      break;
    }
    char* end = nullptr;
    *side = std::strtod(p, &end);
    ok = end != p && std::isfinite(*side) && *side > 0;
    p = end;
  }
  if (!ok || *p != '\0')
    return Status::Corruption(where + ": " + name + " is \"" + v +
                              "\", not two positive numbers (Latin and Han sides); run `indexer rebuild`");
  return out;
}

VersionLengths RawVersionLengths(const Article& a, const Analyzer& analyzer) {
  Xapian::Document doc;
  Positions positions;
  AddTextTerms(a, analyzer, &doc, &positions);
  return SideLengths(doc);
}

void BuildDocument(const Article& a, const Analyzer& an, const VersionLengths& reference,
                   Xapian::Document* doc, const StoredCodec* codec) {
  namespace s = schema;
  SetStoredArticle(codec ? *codec : *StoredCodec::Plain(), a.json, doc);
  doc->add_boolean_term(s::IdTerm(a.id));
  const std::vector<std::string> langs = a.Languages();
  std::string langs_joined;
  for (const std::string& l : langs) {
    doc->add_boolean_term(s::LanguageTerm(l));
    if (!langs_joined.empty()) langs_joined += ',';
    langs_joined += l;
  }
  doc->add_value(s::kSlotLanguages, langs_joined);
  if (!a.original_language.empty()) doc->add_boolean_term(s::OriginalTerm(a.original_language));
  if (!a.source.empty()) {
    doc->add_boolean_term(s::FieldTerm(s::kSourcePrefix, a.source));
    doc->add_value(s::kSlotSource, a.source);
  }
  if (!a.section.empty()) {
    doc->add_boolean_term(s::FieldTerm(s::kSectionPrefix, a.section));
    doc->add_value(s::kSlotSection, a.section);
  }
  if (!a.published.empty()) {
    std::string ymd = a.published.substr(0, 4) + a.published.substr(5, 2) + a.published.substr(8, 2);
    doc->add_value(s::kSlotDate, ymd);
    doc->add_value(s::kSlotYear, a.published.substr(0, 4));
    doc->add_boolean_term(s::YearTerm(a.published.substr(0, 4)));
    doc->add_value(s::kSlotDayNumber,
                   Xapian::sortable_serialise(static_cast<double>(DayNumber(a.published))));
  }
  Positions positions;
  AddTextTerms(a, an, doc, &positions);
  NormalizeWdfs(reference, doc);
  // Each version's whole title, for the exact-title bonus (boolean: no
  // wdf, so the versions' lengths are as before).
  for (const Version& v : a.versions) {
    const std::string exact = ExactTitleTerm(an, v.title);
    if (!exact.empty()) doc->add_boolean_term(exact);
  }
  for (auto [slot, stream] : {std::pair{s::kSlotWordPositions, &positions.words},
                              std::pair{s::kSlotPinyinPositions, &positions.pinyin}}) {
    const std::string encoded = stream->Encode();
    if (!encoded.empty()) doc->add_value(slot, encoded);
  }
  // SimHash features: the distinct text terms (stems, Han words, bigrams;
  // a Latin word of a Chinese version as the stem it is), read back from the
  // document, which already holds each term once.
  SimHasher sim;
  for (Xapian::TermIterator it = doc->termlist_begin(); it != doc->termlist_end(); ++it) {
    const std::string& term = *it;
    if (s::IsStemTerm(term) || s::IsHanWordTerm(term) || s::IsBigramTerm(term))
      sim.Add(term);
    else if (s::IsHanLatinTerm(term))
      sim.Add(s::StemTerm(s::HanLatinStemOf(term)));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(sim.Finish()));
  doc->add_value(s::kSlotSimHash, hex);
}

VersionLengths MeanVersionLengths(const VersionLengths& sums, size_t latin_versions, size_t han_versions) {
  VersionLengths mean;
  if (latin_versions) mean.latin = sums.latin / static_cast<double>(latin_versions);
  if (han_versions) mean.han = sums.han / static_cast<double>(han_versions);
  if (!(mean.latin > 0)) mean.latin = mean.han > 0 ? mean.han : kDefaultAverageLength;
  if (!(mean.han > 0)) mean.han = mean.latin;
  return mean;
}

}  // namespace tongwen
