// What a search is asked and how its query was read: the engine's options,
// a search request and the query explanation returned with its results.
// The query side (core/src/query) builds on these without the engine
// (engine.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tongwen {

class Lexicon;

struct EngineOptions {
  std::string db_dir;
  const Lexicon* lexicon = nullptr;   // null: cross-language search is off
  unsigned reopen_interval_ms = 200;  // new data is served within this (+ request time)
  double translation_weight = 1.5;    // weight of a translated word beside the words as typed, in one version
  // An article scores as its better-matching side (the words as typed, or
  // their translations), each side scaled to the same highest weight; the
  // translated side (the Latin side of a Chinese query, the Han side of an
  // English one) is then multiplied by this. Chosen on bench/relevance's
  // mixed views: up to 2.5 it lifts the cross-language cells (English-only
  // targets of Chinese queries .82 -> .88 on mix-7), beyond it they level
  // off while the single Traditional view falls (.914 -> .907 at 3).
  double translation_factor = 2.5;
  unsigned max_translations = 6;  // per source word (English -> Chinese)
  unsigned max_glosses = 3;       // per source word (Chinese -> English)
  bool romanised_names = true;    // match romanised names via the pinyin field
  // Phrase checks read the position streams from a copy in memory, loaded
  // per revision on the first phrase (docs/api.md, "Operations"); false: from the
  // database (no memory, but a phrase of common words is several times slower).
  bool positions_in_memory = true;
  unsigned query_time_limit_ms = 2000;  // Enquire::set_time_limit
  size_t max_query_bytes = 1000;        // longer queries are cut (reported)
  size_t max_query_units = 48;          // more words than this are dropped (reported)
  size_t max_offset = 1000;             // deepest page: offset + limit <= this
  // `total` is exact up to this many matches (Elasticsearch's
  // track_total_hits); beyond, a lower bound, with Xapian's estimate beside.
  // Counting further costs time on every query with many matches.
  size_t exact_total = 100;
};

// The most values the source filter may have (ValidateRequest); it costs a
// posting list per value.
inline constexpr size_t kMaxFilterValues = 100;
// The most hits a page may have (SearchRequest::limit, and Engine::Related's).
inline constexpr size_t kMaxLimit = 100;
// A snippet's length in characters (SearchRequest::snippet_length, and
// Engine::Related's): the default and the range allowed.
inline constexpr size_t kDefaultSnippetLength = 160;
inline constexpr size_t kMinSnippetLength = 20, kMaxSnippetLength = 1000;

struct SearchRequest {
  std::string q;
  size_t limit = 10;
  size_t offset = 0;
  enum class Mode { kAll, kAny } mode = Mode::kAll;
  enum class Cross { kAuto, kOff } cross = Cross::kAuto;
  std::string lang_hint = "auto";    // en | zh | auto
  std::string from, to;              // YYYY-MM-DD, inclusive; empty = open
  std::vector<std::string> sources;  // any of these (case-insensitive); at most kMaxFilterValues
  std::string section;               // case-insensitive
  std::string lang;                  // has a version in: en | zh
  std::string original;              // original language: en | zh
  enum class Sort { kRelevance, kDate, kDateDesc } sort = Sort::kRelevance;
  double recency = 0;               // > 0: relevance boost half-life in days
  std::vector<std::string> facets;  // source, section, year, language
  bool collapse_duplicates = false;
  size_t snippet_length = kDefaultSnippetLength;  // in characters
  // kLast: the last word, if typed without a trailing space, also matches
  // as a prefix (issue 24, suggest/prefix.h).
  enum class Prefix { kNone, kLast } prefix = Prefix::kNone;
};

// Prior coverage of a draft that is not in the archive (Engine::RelatedToText,
// issue 25): `text` and `title` in English, Chinese (either script) or both,
// paragraph by paragraph.
struct DraftRequest {
  std::string text;                  // required, with at least one word
  std::string title;                 // optional
  size_t limit = 10;                 // 0..kMaxLimit
  std::string before;                // YYYY-MM-DD: published strictly before it; empty = any
  std::string lang;                  // has a version in: en | zh; empty = any
  std::vector<std::string> sources;  // any of these (case-insensitive); at most kMaxFilterValues
  bool collapse_duplicates = false;
  size_t snippet_length = kDefaultSnippetLength;
};
// The longest draft text (and title) RelatedToText takes, in bytes; its
// terms are bounded anyway (the kRelatedTerms best by tf-idf), this bounds
// the analysis.
inline constexpr size_t kMaxDraftBytes = 256 * 1024;

struct Translation {
  std::string term;  // what was searched (a Chinese word, English stems, pinyin)
  // The candidate's score relative to the best one for the word (1.0), from
  // sense order and index frequency; it chose the candidates. Inside the
  // word's OP_SYNONYM group all count alike, and the group is scaled by
  // QueryInfo::translation_weight.
  double weight;
  // A partial match of the word: one word of a multi-word gloss (issue 22),
  // searched only where words may be missing (relaxed hits, mode=any).
  bool partial = false;
};
struct QueryWord {
  std::string text;                       // the source word as analysed
  std::string lang;                       // "en" | "zh"
  std::vector<Translation> translations;  // empty: searched as-is only
  bool romanised = false;                 // Latin name matched as pinyin syllables
  std::vector<std::string> variants;      // same-language synonyms (regional forms)
};
struct QueryInfo {
  std::string detected_language;  // en | zh | mixed | none
  std::string mode;               // all | any
  bool relaxed = false;           // all-words matched too few; any-word results appended
  bool cross = false;             // translation was applied
  double translation_weight = 0;
  // How versions are scored (issue 14): an article scores as its better
  // side, the Latin-script terms (English, and Chinese words through their
  // glosses) or the Han-script ones. Each side is multiplied by its scale,
  // which brings its highest possible weight to that of the words as typed;
  // the translated side (the other language's than detected_language) is
  // further multiplied by translation_factor, which is 1 for a mixed query.
  // Both scales 1 when the query has no translation.
  double scale_en = 1, scale_zh = 1;
  double translation_factor = 1;
  // The exact-title bonus added to articles with a version whose whole
  // title reads as the query (a query of plain words); 0 if no title does.
  double exact_title = 0;
  // The weight each concept of the query (a word with its translations)
  // adds to a relaxed hit that matches it, so that relaxed hits rank by how
  // many concepts they match first; 0 if the query has fewer than two.
  double coordination = 0;
  std::vector<QueryWord> words;
  bool truncated = false;  // query cut to limits
  size_t max_query_bytes = 0, max_query_units = 0;
  std::vector<std::string> repairs;  // syntax repairs made by the parser
  // "Did you mean" (issue 24, suggest/spelling.h): the query with its
  // misspelt words corrected; empty if none was. `corrected`: the query as
  // typed matched nothing with all its words, and these are the corrected
  // query's results.
  std::string suggestion;
  bool corrected = false;
  // With prefix=last: the last word as typed and the stems it was expanded
  // to (empty if it was not expanded).
  std::string prefix_word;
  std::vector<std::string> prefix_expanded;
};

}  // namespace tongwen
