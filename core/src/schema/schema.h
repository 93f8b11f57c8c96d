// Every term prefix and value slot used in a Tongwen database, in one place.
// Prefixes follow Xapian Omega's conventions (docs/termprefixes.rst):
//   Q id, L language, S title, Z stemmed, X... custom.
// A database records kSchemaVersion in its metadata; a reader refuses a
// database written with a different analysis chain.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tongwen::schema {

inline constexpr std::string_view kSchemaVersion = "tongwen-10";
inline constexpr std::string_view kMetaSchema = "tongwen:schema";
inline constexpr std::string_view kMetaAnalyzer = "tongwen:analyzer";
// The zstd dictionary the stored articles are compressed with (absent: none;
// store/stored_article.h).
inline constexpr std::string_view kMetaStoredDictionary = "tongwen:stored-dictionary";
// The reference length the wdfs are normalised with (a decimal number;
// schema/weighting.h): the mean length of a version (script side) of the
// first articles of a rebuild.
inline constexpr std::string_view kMetaAverageLength = "tongwen:average-length";

// Xapian's glass backend refuses a term longer than this, and with it the
// whole batch of documents. The indexer keeps every term within it: the
// ingest limits bound the metadata that becomes terms (article.h), and a Han
// "word" longer than this (a run ICU does not break, such as Hangul written
// without spaces) is indexed by its bigrams alone.
inline constexpr size_t kMaxTermBytes = 245;

// --- boolean (filter) terms, wdf 0, no positions ---
inline constexpr std::string_view kIdPrefix = "Q";         // Q<id>
inline constexpr std::string_view kLangPrefix = "L";       // L<en|zh>: has a version in it
inline constexpr std::string_view kOriginalPrefix = "XO";  // XO<en|zh>: original language
inline constexpr std::string_view kSourcePrefix = "XS";    // XS<source, case-folded>
inline constexpr std::string_view kSectionPrefix = "XC";   // XC<section, case-folded>
inline constexpr std::string_view kYearPrefix = "Y";       // Y<yyyy>
inline constexpr std::string_view kDupGroupPrefix = "XK";  // XK<group id>: near-duplicate group

// The boolean term for a source or section value: the prefix and the value
// with ASCII letters lower-cased. Index and query both build it here, so
// filters are case-insensitive the same way on both sides.
inline std::string FieldTerm(std::string_view prefix, std::string_view value) {
  std::string t(prefix);
  for (char c : value) t.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  return t;
}

// --- free-text terms ---
// Text terms carry no prefix for "anywhere" and kTitlePrefix for the title
// field, so `title:` queries use the same analysed forms.
//   English: Z<stem>   (stemmed, Snowball English), positional
//   Chinese: <word>    (ICU word, Simplified-folded), positional
//            XB<c1c2>  (overlapping character bigram, Simplified-folded)
//   Title:   S<word>, ZS<stem>: not positional. A title phrase is the phrase
//            of the unprefixed terms, all of whose words are in the title.
//   Pinyin:  XP<syllable> (romanised Han text, one term per character),
//            positional in a space of its own (one per Han character)
//   Glosses: XG<stem stem...>: English words side by side that are a whole
//            multi-word CC-CEDICT gloss (Lexicon::IsGlossPhrase; "prime
//            minist"), so the English translation of a Chinese word is one
//            term rather than a phrase to check
// No term has Xapian positions: the positions of the positional terms are
// kept per document in kSlotWordPositions and kSlotPinyinPositions, and
// phrases are checked against them (query/phrase_query.h). Glass would store each
// positional term of each document as a B-tree entry of its own (~17 bytes).
inline constexpr std::string_view kStemPrefix = "Z";
inline constexpr std::string_view kTitlePrefix = "S";

// The term of an analysed word in a field (`field` empty for anywhere, or
// kTitlePrefix): an English stem keeps its Z in front (Z<stem>, ZS<stem>),
// a Han word takes the field prefix alone (<word>, S<word>). The indexer and
// the query side both build field terms here. The Assign form reuses one
// string in a loop.
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
inline constexpr std::string_view kBigramPrefix = "XB";
inline constexpr std::string_view kPinyinPrefix = "XP";
inline constexpr std::string_view kGlossPrefix = "XG";  // XG<stem stem...>: a multi-word gloss, as one term

// The term of a multi-word gloss given as its stems joined by single spaces
// (the form Lexicon::IsGlossPhrase takes). The indexer and the query side
// both build it here.
inline std::string GlossTerm(std::string_view joined_stems) {
  std::string t(kGlossPrefix);
  return t.append(joined_stems);
}
inline constexpr std::string_view kSourceTextPrefix = "XT";   // words of the source name
inline constexpr std::string_view kSectionTextPrefix = "XU";  // words of the section name

// Whether a text term belongs to the Han script side of an article (its
// Chinese versions: Han words, bigrams, pinyin, Han title words) rather than
// the Latin side (English stems and glosses). Each side's wdfs are
// normalised against that side's length (schema/weighting.h), and the search
// scores an article as its better side.
inline bool IsHanSideTerm(std::string_view term) {
  if (term.rfind(kBigramPrefix, 0) == 0 || term.rfind(kPinyinPrefix, 0) == 0) return true;
  if (term.rfind(kTitlePrefix, 0) == 0) term.remove_prefix(kTitlePrefix.size());
  return !term.empty() && static_cast<unsigned char>(term[0]) >= 0x80;
}

// --- value slots ---
enum Slot : unsigned {
  kSlotDate = 0,              // "YYYYMMDD" (sortable string), empty if unknown
  kSlotSource = 1,            // source as given (for facets)
  kSlotSection = 2,           // section as given (for facets)
  kSlotYear = 3,              // "YYYY"
  kSlotLanguages = 4,         // one value per doc: "en", "zh" or "en,zh" (facet: language)
  kSlotSimHash = 5,           // 16 hex chars: 64-bit SimHash of the normalised text
  kSlotDupGroup = 6,          // near-duplicate group: the id of its first article (a singleton: its own id)
  kSlotDayNumber = 7,         // sortable_serialise(days since 1970-01-01), for recency
  kSlotSequence = 8,          // sortable_serialise(input line sequence) of a rebuild: the later line wins
  kSlotWordPositions = 9,     // the word and stem positions (query/phrase_query.h PositionStream)
  kSlotPinyinPositions = 10,  // the pinyin positions, one per Han character (absent if none)
};
// The document data is the article JSON, zstd-compressed (store/stored_article.h).

// Near-duplicates: two articles whose SimHashes (over distinct terms) differ
// in at most this many bits are one story (the same wire copy from two
// outlets, a re-post). Sample re-posts measure 4-5 bits; unrelated articles
// 18+ (mean ~30).
inline constexpr int kNearDuplicateBits = 6;

// Positions: each field/version starts kFieldGap after the previous one, so
// a phrase never matches across a field boundary.
inline constexpr unsigned kFieldGap = 100;
// wdf weight of title terms in the "anywhere" space: BM25 sees the title as
// this many occurrences, which ranks title matches above body matches.
inline constexpr unsigned kTitleWdf = 3;

// BM25's length normalisation is applied at index time (schema/weighting.h): a
// term's stored wdf is kWdfScale * wdf / norm(document length), with these
// parameters (k1 and b as Xapian's BM25Weight takes them). Changing any of
// them changes what the index holds.
inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;
inline constexpr double kBm25MinNormLength = 0.5;
inline constexpr double kWdfScale = 64;

}  // namespace tongwen::schema
