// Every term prefix and value slot used in a Tongwen database, in one place.
// Prefixes follow Xapian Omega's conventions (docs/termprefixes.rst):
//   Q id, L language, S title, Z stemmed, X... custom.
// Terms are built from these prefixes (and read back) only in
// schema/terms.h, by the indexer and the query side alike.
// A database records kSchemaVersion in its metadata; a reader refuses a
// database written with a different analysis chain.
#pragma once

#include <cstddef>
#include <string_view>

namespace tongwen::schema {

inline constexpr std::string_view kSchemaVersion = "tongwen-12";
inline constexpr std::string_view kMetaSchema = "tongwen:schema";
inline constexpr std::string_view kMetaAnalyzer = "tongwen:analyzer";
// The zstd dictionary the stored articles are compressed with (absent: none;
// store/stored_article.h).
inline constexpr std::string_view kMetaStoredDictionary = "tongwen:stored-dictionary";
// The reference length the wdfs are normalised with (a decimal number;
// schema/weighting.h): the mean length of a version (script side) of the
// first articles of a rebuild.
inline constexpr std::string_view kMetaAverageLength = "tongwen:average-length";
// "BYTES DOCS": the size of the generation when it was last compacted (by
// rebuild or compact) and the documents it held then; `indexer stats`
// estimates from it how much compacting would reclaim (index/compact.h).
inline constexpr std::string_view kMetaCompacted = "tongwen:compacted";

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
// XE<16 hex digits>: a version's whole title, as analysed (ExactTitleTerm),
// hashed: a query that is exactly a title ranks that article first.
inline constexpr std::string_view kExactTitlePrefix = "XE";

// --- free-text terms ---
// Text terms carry no prefix for "anywhere" and kTitlePrefix for the title
// field, so `title:` queries use the same analysed forms.
//   English: Z<stem>   (stemmed, Snowball English), positional
//   Chinese: <word>    (ICU word, Simplified-folded), positional
//            XB<c1c2>  (overlapping character bigram, Simplified-folded)
//   Latin in Chinese: XZ<stem> (a Latin-script word of a Chinese version,
//            stemmed as English: names and numbers that Chinese text quotes
//            as they are), positional. Apart from Z<stem>, so that each
//            script side of an article (IsHanSideTerm) is exactly its
//            versions of that language: a bilingual article's Chinese side
//            does not match a word through its English version (issue 14).
//   Title:   S<word>, ZS<stem>, XZS<stem>: not positional. A title phrase is the phrase
//            of the unprefixed terms, all of whose words are in the title.
//   Pinyin:  XP<syllable> (romanised Han text, one term per character),
//            positional in a space of its own (one per Han character)
//   Glosses: XG<stem stem...>: English words side by side that are a whole
//            multi-word CC-CEDICT gloss (Lexicon::IsGlossPhrase; "prime
//            minist"), so the English translation of a Chinese word is one
//            term rather than a phrase to check
// No term has Xapian positions: the positions of the positional terms are
// kept per document in kSlotWordPositions and kSlotPinyinPositions, and
// phrases are checked against them (positions/position_stream.h). Glass would store each
// positional term of each document as a B-tree entry of its own (~17 bytes).
inline constexpr std::string_view kStemPrefix = "Z";
inline constexpr std::string_view kTitlePrefix = "S";
inline constexpr std::string_view kHanLatinPrefix = "XZ";
inline constexpr std::string_view kBigramPrefix = "XB";
inline constexpr std::string_view kPinyinPrefix = "XP";
inline constexpr std::string_view kGlossPrefix = "XG";  // XG<stem stem...>: a multi-word gloss, as one term
inline constexpr std::string_view kSourceTextPrefix = "XT";   // words of the source name
inline constexpr std::string_view kSectionTextPrefix = "XU";  // words of the section name

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
  kSlotWordPositions = 9,     // the word and stem positions (positions/position_stream.h)
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
