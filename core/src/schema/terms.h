// Every term of a Tongwen database, built from the prefixes of schema.h and
// read back, in one place: the indexer (index/) and the query side (query/,
// search/) call these functions, so both build a term the same way. The
// Assign forms reuse one string in the indexer's loops.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.h"

#include "tongwen/analysis.h"

namespace Xapian {
class Document;
}

namespace tongwen {
namespace schema {

// --- boolean (filter) terms ---
inline std::string PrefixedTerm(std::string_view prefix, std::string_view value) {
  std::string t(prefix);
  return t.append(value);
}
inline std::string IdTerm(std::string_view id) { return PrefixedTerm(kIdPrefix, id); }
inline std::string LanguageTerm(std::string_view lang) { return PrefixedTerm(kLangPrefix, lang); }
inline std::string OriginalTerm(std::string_view lang) { return PrefixedTerm(kOriginalPrefix, lang); }
inline std::string YearTerm(std::string_view yyyy) { return PrefixedTerm(kYearPrefix, yyyy); }
inline std::string DupGroupTerm(std::string_view group) { return PrefixedTerm(kDupGroupPrefix, group); }

// The boolean term for a source or section value (`prefix` kSourcePrefix or
// kSectionPrefix): the prefix and the value with ASCII letters lower-cased,
// so filters are case-insensitive the same way on both sides.
inline std::string FieldTerm(std::string_view prefix, std::string_view value) {
  std::string t(prefix);
  for (char c : value) t.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  return t;
}

// The id of an id term (Q<id>), the language of a language term (L<lang>).
// REQUIRES: `term` has that prefix.
inline std::string_view IdOfTerm(std::string_view term) { return term.substr(kIdPrefix.size()); }
inline std::string_view LanguageOfTerm(std::string_view term) { return term.substr(kLangPrefix.size()); }

// --- free-text terms ---
// The prefix of an analysed token's term anywhere (no field): kBigramPrefix
// for a Han bigram, kStemPrefix for an English stem, none for a Han word.
inline std::string_view TextTermPrefix(const Token& t) {
  if (t.kind == TokenKind::kBigram) return kBigramPrefix;
  if (t.script == Script::kLatin) return kStemPrefix;
  return {};
}
// The index term of an analysed token: TextTermPrefix(t) followed by t.text.
inline void AssignTextTerm(std::string* out, const Token& t) {
  out->assign(TextTermPrefix(t));
  out->append(t.text);
}
// The term of a Latin-script word in a Chinese version, in a field (`field`
// empty for anywhere, or kTitlePrefix): XZ<stem>, XZS<stem>.
inline void AssignHanLatinTerm(std::string* out, std::string_view field, std::string_view stem) {
  out->assign(kHanLatinPrefix);
  out->append(field).append(stem);
}
inline std::string HanLatinTerm(std::string_view field, std::string_view stem) {
  std::string t;
  AssignHanLatinTerm(&t, field, stem);
  return t;
}
inline std::string TextTerm(const Token& t) {
  std::string term;
  AssignTextTerm(&term, t);
  return term;
}

// The term of an analysed word in a field (`field` empty for anywhere, or
// kTitlePrefix): an English stem keeps its Z in front (Z<stem>, ZS<stem>),
// a Han word takes the field prefix alone (<word>, S<word>).
inline void AssignFieldTextTerm(std::string* out, std::string_view field, bool stem, std::string_view text) {
  out->clear();
  if (stem) out->append(kStemPrefix);
  out->append(field).append(text);
}
inline std::string FieldTextTerm(std::string_view field, bool stem, std::string_view text) {
  std::string t;
  AssignFieldTextTerm(&t, field, stem, text);
  return t;
}

// An English stem anywhere (Z<stem>), a Han bigram (XB<c1c2>), a pinyin
// syllable (XP<syllable>).
inline std::string StemTerm(std::string_view stem) { return PrefixedTerm(kStemPrefix, stem); }
inline std::string BigramTerm(std::string_view bigram) { return PrefixedTerm(kBigramPrefix, bigram); }
inline void AssignPinyinTerm(std::string* out, std::string_view syllable) {
  out->assign(kPinyinPrefix);
  out->append(syllable);
}
inline std::string PinyinTerm(std::string_view syllable) { return PrefixedTerm(kPinyinPrefix, syllable); }

// The term of a multi-word gloss given as its stems joined by single spaces
// (the form Lexicon::IsGlossPhrase takes): XG<stem stem...>.
inline std::string GlossTerm(std::string_view joined_stems) {
  return PrefixedTerm(kGlossPrefix, joined_stems);
}
// The term an English gloss given as stems is searched by: the stem term
// for one stem; for more, the gloss term the indexer adds where the words
// stand side by side.
inline std::string GlossTermOf(const std::vector<std::string>& stems) {
  if (stems.size() == 1) return StemTerm(stems[0]);
  std::string joined;
  for (size_t i = 0; i < stems.size(); ++i) joined.append(i ? " " : "").append(stems[i]);
  return GlossTerm(joined);
}

// --- reading terms back ---
// Whether `term` is an English stem anywhere (Z<stem>, not a title stem
// ZS<stem>), and its stem (REQUIRES: IsStemTerm).
inline bool IsStemTerm(std::string_view term) {
  return term.size() > kStemPrefix.size() && term.compare(0, kStemPrefix.size(), kStemPrefix) == 0 &&
         term.compare(kStemPrefix.size(), kTitlePrefix.size(), kTitlePrefix) != 0;
}
inline std::string_view StemOf(std::string_view term) { return term.substr(kStemPrefix.size()); }
// Whether `term` is a Latin word of a Chinese version anywhere (XZ<stem>,
// not XZS<stem>), and its stem (REQUIRES: IsHanLatinTerm).
inline bool IsHanLatinTerm(std::string_view term) {
  return term.size() > kHanLatinPrefix.size() &&
         term.compare(0, kHanLatinPrefix.size(), kHanLatinPrefix) == 0 &&
         term.compare(kHanLatinPrefix.size(), kTitlePrefix.size(), kTitlePrefix) != 0;
}
inline std::string_view HanLatinStemOf(std::string_view term) { return term.substr(kHanLatinPrefix.size()); }
// Whether `term` is a Han word anywhere (no prefix: it starts with a
// non-ASCII byte), or a Han bigram.
inline bool IsHanWordTerm(std::string_view term) {
  return !term.empty() && static_cast<unsigned char>(term[0]) >= 0x80;
}
inline bool IsBigramTerm(std::string_view term) { return term.rfind(kBigramPrefix, 0) == 0; }
// The bigram of a bigram term, the term itself otherwise.
inline std::string_view WithoutBigramPrefix(std::string_view term) {
  if (IsBigramTerm(term)) term.remove_prefix(kBigramPrefix.size());
  return term;
}

// Whether a text term belongs to the Han script side of an article (its
// Chinese versions: Han words, bigrams, pinyin, Han title words and their
// Latin words, XZ and XZS) rather than the Latin side (English stems and
// glosses). Each side's wdfs are normalised against that side's length
// (schema/weighting.h), and the search scores an article as its better side.
inline bool IsHanSideTerm(std::string_view term) {
  if (term.rfind(kBigramPrefix, 0) == 0 || term.rfind(kPinyinPrefix, 0) == 0 ||
      term.rfind(kHanLatinPrefix, 0) == 0)
    return true;
  if (term.rfind(kTitlePrefix, 0) == 0) term.remove_prefix(kTitlePrefix.size());
  return !term.empty() && static_cast<unsigned char>(term[0]) >= 0x80;
}

}  // namespace schema

// The boolean term of a whole text, a title (kExactTitlePrefix): its
// characters and words as `analyzer` reads them (Han characters one by one,
// whatever the segmentation; English stems; Simplified-folded, case-folded,
// width-folded; stop words kept, punctuation and spacing dropped), hashed.
// A query and a title that read the same get the same term. Empty if the
// text has no word.
std::string ExactTitleTerm(const Analyzer& analyzer, std::string_view text);

// The article id of a document built by BuildDocument (from its id term);
// empty if it has none.
std::string ArticleIdOf(const Xapian::Document& doc);

}  // namespace tongwen
