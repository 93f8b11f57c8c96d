#include "query/query_builder.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "query/relaxation.h"
#include "schema/schema.h"
#include "schema/terms.h"

#include "tongwen/lexicon.h"

namespace tongwen {

namespace s = schema;

// The index leaves out a bigram that is a whole two-character word (the word
// term says the same), so a bigram is searched as SYNONYM(bigram, word).
Xapian::Query BigramQuery(const std::string& bigram) {
  return Xapian::Query(Xapian::Query::OP_SYNONYM, Xapian::Query(s::BigramTerm(bigram)),
                       Xapian::Query(bigram));
}

namespace {
// `required`, with `boost`'s weight added where it matches too: the matches
// and weights of OP_AND_MAYBE(required, boost). Not OP_AND_MAYBE itself:
// Xapian 1.4's AndMaybePostList reads its max weights before they are set
// when it sits under an OR-like postlist that prunes by weight (valgrind:
// uninitialised reads in AndMaybePostList::next), so at random it behaved
// as an AND and the same query gave different results (issue 14).
Xapian::Query Boosted(const Xapian::Query& required, const Xapian::Query& boost) {
  return Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query(Xapian::Query::OP_OR, required, boost),
                       required);
}

}  // namespace

Xapian::Query GlossQuery(const std::vector<std::string>& stems) {
  return Xapian::Query(s::GlossTermOf(stems));
}

namespace {
// The share of a true phrase match's weight that a phrase's translation (the
// AND of its words' translations) gets, translation_factor included: the
// translated side is multiplied by the factor (Build), so the translation is
// scaled by this share over the factor. (In a mixed query no side is
// multiplied, and the translation counts for less.)
constexpr double kTranslatedPhraseShare = 0.5;
// The exact-title bonus, as a multiple of the query's highest weight (its
// words as typed, Sided::Weights): a query of plain words that reads as a
// version's whole title adds this much to that article's score (Build).
// Measured (bench/relevance, MRR@10, bilingual view and mix-7/9/11/13):
// the same-language cells rise with the bonus up to 4, where an exact
// title nearly always ranks first (mix-7 Chinese-only targets of Chinese
// queries .9727 at 0.5 and 1, .9871 at 2, 1.0 at 4; bilingual en-to-zh
// .9932 at 0.5-2, .9953 at 4), and no cell is lower at 4 than at a smaller
// bonus; the cross-language cells do not change (a query in one language
// is no title of the other's versions).
constexpr double kExactTitleMultiple = 4.0;
// The text of a query of plain words only (no operator, field or phrase),
// its words joined by spaces; empty for any other query.
std::string PlainQueryText(const QueryNode& root) {
  auto plain = [](const QueryNode& n) { return n.kind == QueryNode::kText && n.field.empty(); };
  if (root.kind != QueryNode::kAnd) return plain(root) ? root.text : std::string();
  std::string text;
  for (const QueryNode& w : root.children) {
    if (!plain(w)) return {};
    text += (text.empty() ? "" : " ") + w.text;
  }
  return text;
}
// The Chinese translations kept for each English word of a phrase's
// translation (an AND, so each word's best senses suffice): with all six
// (EngineOptions::max_translations) a phrase of common words intersected
// long synonym lists and searched about 1.6 times as long as the phrase
// alone; with two, bench/relevance is unchanged and phrases search about
// 15% faster (query_bench on bench/queries' phrase row).
constexpr size_t kPhraseTranslations = 2;
}  // namespace

namespace {

// A phrase in the title field: title terms are not positional (schema.h), so
// it is the phrase of the unprefixed terms in a document whose title has
// every word. The title terms carry the weight of a title match.
Xapian::Query TitlePhrase(const PositionStorePtr& store, const std::vector<std::string>& plain,
                          const std::vector<Xapian::Query>& in_title) {
  Xapian::Query words(Xapian::Query::OP_AND, in_title.begin(), in_title.end());
  if (plain.size() < 2) return words;
  return Xapian::Query(Xapian::Query::OP_FILTER, words, WordPhrase(store, plain));
}

// A Han unit of a query: one multi-character word, or a stretch of single
// characters (which ICU leaves for names it does not know).
struct HanUnit {
  std::vector<std::string> words;    // folded word texts
  std::vector<std::string> bigrams;  // bigram texts inside the unit
  std::string text;                  // concatenated folded text
  uint32_t begin = 0, end = 0;       // original byte offsets
};

// One element of a text group, in query order.
struct Item {
  bool han = false;
  std::string stem, raw;   // Latin
  bool name_like = false;  // Latin: capitalised, or joined by a hyphen (Ing-wen)
  HanUnit unit;            // Han
};

// Splits the Han tokens of one run into units (see HanUnit).
void HanUnits(const std::vector<Token>& words, const std::vector<Token>& bigrams, std::vector<HanUnit>* out) {
  auto nchars = [](const std::string& w) { return DecodeUtf8(w).size(); };
  size_t k = 0;
  while (k < words.size()) {
    HanUnit u;
    size_t m = k + 1;
    if (nchars(words[k].text) == 1)
      while (m < words.size() && nchars(words[m].text) == 1) ++m;
    for (size_t i = k; i < m; ++i) {
      u.words.push_back(words[i].text);
      u.text += words[i].text;
    }
    u.begin = words[k].begin;
    u.end = words[m - 1].end;
    for (const Token& b : bigrams)
      if (b.begin >= u.begin && b.end <= u.end) u.bigrams.push_back(b.text);
    out->push_back(std::move(u));
    k = m;
  }
}

// The query for one Han unit of a translation: all its bigrams are required
// (whatever the document's segmentation); a bigram query includes the word
// a two-character bigram is (BigramQuery). No OP_AND_MAYBE for a word boost:
// these queries go inside OP_SYNONYM, where Xapian 1.4 reads an
// AndMaybePostList's max weights before they are set (valgrind:
// uninitialised reads in AndMaybePostList::next), so it turned into an AND
// at random and results changed from one search to the next.
Xapian::Query UnitQuery(const std::vector<Xapian::Query>& words, const std::vector<Xapian::Query>& bigrams) {
  if (bigrams.empty()) return Xapian::Query(Xapian::Query::OP_OR, words.begin(), words.end());
  return Xapian::Query(Xapian::Query::OP_AND, bigrams.begin(), bigrams.end());
}

}  // namespace

// The query of a node on each script side. An article's versions are one
// Xapian document, and its English and Chinese versions hold disjoint terms
// (English stems; Han words, bigrams, and the Latin words of Chinese text
// as XZ terms, schema.h). A query is built twice over: the Latin side
// searches its English words as typed and its Chinese words through their
// English glosses; the Han side the other way round, and a Latin word also
// as it stands in Chinese text (XZ: a name or a number), beside its
// translations or, with none, alone. A Chinese word with no translation
// weighs only on the Han side: on the Latin side it is not required, even
// in mode=all (Sided::lat_optional), and that side's highest weight leaves
// it out, so it neither adds Han weight to the Latin side nor counts
// against English-only articles, which cannot hold it. The article's score
// is the better side's (OP_MAX, Elasticsearch's dis_max), so a bilingual
// article that matches in both versions scores as its best version does,
// not as their sum, and competes fairly with the one-language article that
// is the answer (issue 14).
struct QueryBuilder::Sided {
  // Each side's highest possible weight, estimated from BM25's term weights
  // (QueryBuilder::TermWeight): what a version matching every word scores,
  // up to the saturation of the words' frequencies; and the target, what the
  // same words weigh as typed. Best() scales a side by target / max, so that
  // a version that matches a word through its translation scores as one that
  // matches the word itself, and words with no translation count against
  // the side that cannot match them.
  struct Weights {
    double lat = 0, han = 0, lat_target = 0, han_target = 0;
    Weights& operator+=(const Weights& o) {
      lat += o.lat, han += o.han, lat_target += o.lat_target, han_target += o.han_target;
      return *this;
    }
  };
  // For a `same` query: the script of its words, if one (a word with no
  // translation). Latin words weigh on both sides (a Chinese text holds
  // Latin names and numbers); Han words only on the Han side.
  enum Own { kEither, kLat, kHan };

  Xapian::Query lat, han;
  bool same = true;  // lat and han are one query (no translation inside)
  Weights w;
  Own own = kEither;
  // Whether a side holds a translation: only such a side gets its
  // translation factor (Best), so a Latin name found as it stands in Chinese
  // text competes on equal terms with the same name in English text.
  bool lat_translated = false, han_translated = false;
  // A Chinese word with no translation, typed as a plain word: on the Latin
  // side (English text, which cannot hold it) it is not required in an
  // AND (Combine), so an English-only article that matches every word that
  // has a translation matches all words, as a Chinese article that holds
  // them all as typed does.
  bool lat_optional = false;
  // A concept's partial matches on the Latin side (PartialWords), weighted:
  // only in a query where words may be missing, ORed beside `lat`.
  Xapian::Query lat_partial = Xapian::Query();

  // A query without weight (filters).
  static Sided Boolean(Xapian::Query q) { return Sided{q, q, true, {}, kEither}; }
  // A word with no translation, of `own`'s script, weighing `max`.
  static Sided Untranslated(Xapian::Query q, double max, Own own) {
    Weights w{own == kHan ? 0 : max, max, own == kHan ? 0 : max, max};
    return Sided{q, q, true, w, own};
  }
  // Each side its own query; `translated`: which side is a translation
  // (kLat: the Latin side, kHan: the Han side, kEither: neither).
  static Sided Two(Xapian::Query lat, Xapian::Query han, Weights w, Own translated) {
    return Sided{std::move(lat), std::move(han), false, w, kEither, translated == kLat, translated == kHan};
  }
  // This one with `q` for both sides' queries (same) or each side wrapped.
  Sided With(Xapian::Query l, Xapian::Query h) const {
    return Sided{std::move(l), std::move(h), same, w, own, lat_translated, han_translated, lat_optional};
  }
  bool empty() const { return lat.empty() && han.empty(); }
  // This part's query on the Latin side, beside translated parts.
  Xapian::Query LatPart() const { return same && own == kHan ? Weightless(lat) : lat; }
  static Xapian::Query Weightless(const Xapian::Query& q) {
    return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q, 0);
  }
  // Matches in either side: for exclusions, which drop an article whose any
  // version has the word.
  Xapian::Query Either() const { return same ? lat : Xapian::Query(Xapian::Query::OP_OR, lat, han); }
  double LatScale() const { return w.lat > 0 ? w.lat_target / w.lat : 1; }
  double HanScale() const { return w.han > 0 ? w.han_target / w.han : 1; }
  // The article's score: its better side, each side scaled (LatScale,
  // HanScale) and, if it holds a translation, multiplied by its factor (the
  // translated side's translation_factor, QueryBuilder::Build).
  // `lat_coord`, `han_coord`: the coordination of each side (Build), added
  // to its weight where it matches; empty for none.
  Xapian::Query Best(double lat_factor, double han_factor, const Xapian::Query& lat_coord = {},
                     const Xapian::Query& han_coord = {}) const {
    if (same) return lat_coord.empty() ? lat : Boosted(lat, lat_coord);
    if (!lat_translated) lat_factor = 1;
    if (!han_translated) han_factor = 1;
    // (Xapian 1.4 builds OP_MAX(OP_OR(a, b), c) as OP_MAX(a, b, c): an
    // OR-like subquery adds its children to the MAX's own list, so a side's
    // words would stop adding up. The OP_SCALE_WEIGHT, or Boosted's
    // OP_FILTER, keeps each side one subquery.)
    Xapian::Query l(Xapian::Query::OP_SCALE_WEIGHT, lat, lat_factor * LatScale());
    Xapian::Query h(Xapian::Query::OP_SCALE_WEIGHT, han, han_factor * HanScale());
    return Xapian::Query(Xapian::Query::OP_MAX, lat_coord.empty() ? l : Boosted(l, lat_coord),
                         han_coord.empty() ? h : Boosted(h, han_coord));
  }
  // `op` (AND or OR) over each side of `parts`; the weights add up.
  static Sided Combine(Xapian::Query::op op, const std::vector<Sided>& parts) {
    bool all_same = true, lat_tr = false, han_tr = false, lat_opt = true;
    Weights w;
    for (const Sided& p : parts) {
      all_same = all_same && p.same;
      w += p.w;
      lat_tr = lat_tr || p.lat_translated;
      han_tr = han_tr || p.han_translated;
      lat_opt = lat_opt && p.lat_optional;
    }
    std::vector<Xapian::Query> l, h;
    if (all_same) {
      Own own = parts.empty() ? kEither : parts[0].own;
      for (const Sided& p : parts) {
        l.push_back(p.lat);
        if (p.own != own) own = kEither;
      }
      Xapian::Query q(op, l.begin(), l.end());
      Sided one{q, q, true, w, own};
      one.lat_optional = lat_opt;
      return one;
    }
    for (const Sided& p : parts) {
      if (!(op == Xapian::Query::OP_AND && p.lat_optional))
        l.push_back(p.lat_partial.empty() ? p.LatPart()
                                          : Xapian::Query(Xapian::Query::OP_OR, p.LatPart(), p.lat_partial));
      h.push_back(p.han);
    }
    Sided both =
        Two(Xapian::Query(op, l.begin(), l.end()), Xapian::Query(op, h.begin(), h.end()), w, kEither);
    both.lat_translated = lat_tr;
    both.han_translated = han_tr;
    both.lat_optional = lat_opt;
    return both;
  }
};

namespace {

// A Latin token written as a name: capitalised, or joined to the previous
// word by a hyphen (Ing-wen). `src` is the text it was analysed from.
bool NameLike(const std::string& src, const Token& t) {
  return (t.begin < src.size() && src[t.begin] >= 'A' && src[t.begin] <= 'Z') ||
         (t.begin > 0 && src[t.begin - 1] == '-');
}

// The words of a query by kind, for the language it is in. Numbers stand
// alike in both languages' texts, and a Chinese sentence quotes Latin names
// as they are (Kanye West, Sutopo Purwo Nugroho): neither makes a Chinese
// query a mixed one. Language() is "mixed" only when the query has Han
// words and other Latin words (tariffs 關稅), and decides which side is
// the translated one (Build). In ../shared's Chinese evaluation sets 41-54%
// of the queries hold Latin letters or digits; counted as English words,
// they made those queries "mixed", which gave their translations no factor.
struct ScriptCounts {
  size_t latin = 0, names = 0, numbers = 0, han = 0;
  void AddLatin(const std::string& stem, bool name_like) {
    ++(IsNumber(stem) ? numbers : name_like ? names : latin);
  }
  std::string Language() const {
    if (han) return latin ? "mixed" : "zh";
    return latin || names || numbers ? "en" : "none";
  }
};

}  // namespace

struct QueryBuilder::Ctx {
  const SearchRequest* req;
  BuiltQuery* out;
  bool cross;
  // The relaxed query: its parts are optional, none is loosened (BuildAnd).
  bool relaxed = false;
  // Where BuildAndGroup puts each concept (a word and its translations)
  // for coordination (Build); null: nowhere.
  std::vector<Sided>* coord = nullptr;
  bool partial = false;  // a concept has partial matches (Sided::lat_partial)
  // The relaxed query of prose (ReadsAsProse): its phrases as plain words.
  bool loose_phrases = false;
  // Words and phrases built outside exclusions (Build: a query whose words
  // analysis dropped matches nothing).
  bool in_not = false;
  size_t positive_words = 0;
  // Building the words of a phrase for its translation (kPhraseTranslations).
  bool phrase_translation = false;
  size_t units = 0;
  // Top-level phrases become the AND of their words plus a PhraseCheck.
  bool defer_phrases = false;
  // Set by a top-level AND (mode=all) for the positive child it builds next.
  bool conjunct_child = false;
  // The query's words by kind, for its language (Language()).
  ScriptCounts scripts = ScriptCounts();
  Xapian::Query Term(const std::string& t, bool translated) {
    (translated ? out->translated_terms : out->original_terms).insert(t);
    out->highlight_terms.insert(t);
    return Xapian::Query(t);
  }
  // A Latin word as it stands in Chinese text (XZ): a word as typed. Not a
  // highlight term: the snippet finds the word's stem term (Z) in any text.
  Xapian::Query HanLatin(const std::string& t) {
    out->original_terms.insert(t);
    return Xapian::Query(t);
  }
};

Xapian::Query QueryBuilder::HanTextQuery(const std::string& han, std::unordered_set<std::string>* hl) const {
  // Remembered: translations bring the same Chinese words again and again,
  // and each costs an ICU word break.
  auto it = memo_->han_text.find(han);
  if (it == memo_->han_text.end()) {
    TranslationMemo::HanText entry;
    std::unordered_set<std::string> terms;
    entry.query = ComputeHanTextQuery(han, &terms);
    entry.highlight.assign(terms.begin(), terms.end());
    it = memo_->han_text.emplace(han, std::move(entry)).first;
  }
  if (hl) hl->insert(it->second.highlight.begin(), it->second.highlight.end());
  return it->second.query;
}

Xapian::Query QueryBuilder::ComputeHanTextQuery(const std::string& han,
                                                std::unordered_set<std::string>* hl) const {
  std::vector<Token> words, bigrams;
  AnalyzeOptions ao;
  an_.Analyze(han, ao, [&](const Token& t) {
    if (t.script != Script::kHan) return;
    (t.kind == TokenKind::kBigram ? bigrams : words).push_back(t);
  });
  std::vector<HanUnit> units;
  HanUnits(words, bigrams, &units);
  std::vector<Xapian::Query> parts;
  for (const HanUnit& u : units) {
    std::vector<Xapian::Query> w, b;
    for (const std::string& x : u.words) {
      w.emplace_back(x);
      if (hl) hl->insert(x);
    }
    for (const std::string& x : u.bigrams) {
      b.push_back(BigramQuery(x));
      if (hl) {
        hl->insert(s::BigramTerm(x));
        hl->insert(x);
      }
    }
    parts.push_back(UnitQuery(w, b));
  }
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

PositionStorePtr QueryBuilder::PositionsFor(size_t phrase_length) const {
  if (phrase_length < 2) return nullptr;  // a one-word phrase is the word: no check
  if (!positions_fetched_ && positions_source_) positions_ = positions_source_();
  positions_fetched_ = true;
  return positions_;
}

QueryBuilder::Sided QueryBuilder::BuildPhrase(const QueryNode& n, bool conjunct, Ctx& c) const {
  const bool title = n.field == "title";
  const std::string fp = title ? std::string(s::kTitlePrefix) : std::string();
  // The phrase's terms as English text holds them (`terms`: Z for a Latin
  // word) and as Chinese text does (`han_terms`: XZ for a Latin word,
  // schema.h); the same for Han words. `han_found`: whether every XZ term
  // occurs somewhere.
  std::vector<std::string> terms, han_terms;
  std::vector<Xapian::Query> in_title, han_in_title;
  AnalyzeOptions ao;
  ao.bigrams = false;
  size_t latin = 0, han = 0;
  bool han_found = true;
  std::string shown;
  an_.Analyze(n.text, ao, [&](const Token& t) {
    const bool is_latin = t.script == Script::kLatin;
    terms.push_back(s::TextTerm(t));
    c.Term(terms.back(), false);
    han_terms.push_back(is_latin ? s::HanLatinTerm({}, t.text) : terms.back());
    if (is_latin) {
      c.HanLatin(han_terms.back());
      han_found = han_found && Df(han_terms.back()) > 0;
    }
    if (title) {
      in_title.push_back(c.Term(s::FieldTextTerm(fp, is_latin, t.text), false));
      han_in_title.push_back(is_latin ? c.HanLatin(s::HanLatinTerm(fp, t.text)) : in_title.back());
    }
    (is_latin ? latin : han)++;
    if (is_latin)
      c.scripts.AddLatin(t.text, NameLike(n.text, t));
    else
      ++c.scripts.han;
    shown += (shown.empty() || t.script == Script::kHan ? "" : " ") + (is_latin ? t.raw : t.text);
  });
  if (terms.empty()) return Sided{};
  if (!c.in_not) ++c.positive_words;
  ++c.units;
  QueryWord qw{"\"" + shown + "\"", latin && han ? "mixed" : latin ? "en" : "zh", {}, false, {}};
  // In the other language, a phrase is the AND of its words' translations
  // (word order and adjacency do not carry over a translation): the words
  // built as a group in a scratch context, whose other side is taken.
  Sided translated;
  if (c.cross && !(latin && han)) {
    BuiltQuery scratch;
    Ctx sc{c.req, &scratch, c.cross};
    sc.phrase_translation = true;
    QueryNode words = n;
    words.kind = QueryNode::kText;
    std::vector<const QueryNode*> one{&words};
    translated = BuildAndGroup(one, n.field, true, sc);
    for (const QueryWord& w : scratch.info.words)
      for (const Translation& t : w.translations) qw.translations.push_back(t);
    c.out->translated_terms.insert(scratch.translated_terms.begin(), scratch.translated_terms.end());
    c.out->highlight_terms.insert(scratch.highlight_terms.begin(), scratch.highlight_terms.end());
  }
  const bool has_translation = translated.lat_translated || translated.han_translated;
  c.out->info.words.push_back(std::move(qw));
  // The literal phrase in English text (Latin words only) and in Chinese
  // text (Han words, or Latin words as Chinese text holds them): one query
  // when the phrase has no Latin word. A phrase of both scripts only stands
  // in Chinese text.
  // (`english`: the phrase may stand in English text; `chinese`: the
  // phrase of Latin words as Chinese text holds it is a query of its own,
  // built if it can match, or if it is all there is; `plain`: `literal`,
  // the phrase as typed, can match.)
  const bool english = !han, chinese = latin && (han || han_found), plain = !(latin && han);
  Xapian::Query literal, han_literal;
  if (title) {
    if (plain) literal = TitlePhrase(PositionsFor(terms.size()), terms, in_title);
    if (chinese) han_literal = TitlePhrase(PositionsFor(terms.size()), han_terms, han_in_title);
  } else if (c.defer_phrases && conjunct && terms.size() >= 2 && !has_translation) {
    // Checked after the match (PhraseDecider), which only a phrase with no
    // translation allows: the decider would drop translated matches. A
    // phrase of Latin words may stand in either kind of text.
    c.out->phrase_checks.push_back(english ? WordPhraseCheck(PositionsFor(terms.size()), terms, han_terms)
                                           : WordPhraseCheck(PositionsFor(terms.size()), han_terms));
    if (plain) literal = WordPhraseTerms(terms);
    if (chinese) han_literal = WordPhraseTerms(han_terms);
  } else {
    if (plain) literal = WordPhrase(PositionsFor(terms.size()), terms);
    if (chinese) han_literal = WordPhrase(PositionsFor(han_terms.size()), han_terms);
  }
  if (!latin) han_literal = literal;
  double literal_max = 0, han_max = 0;
  for (const Xapian::Query& q : in_title) literal_max += TermWeight(*q.get_terms_begin());
  if (chinese)
    for (const Xapian::Query& q : han_in_title) han_max += TermWeight(*q.get_terms_begin());
  if (!title) {
    for (const std::string& t : terms) literal_max += TermWeight(t);
    if (chinese)
      for (const std::string& t : han_terms) han_max += TermWeight(t);
  }
  // A Chinese phrase also weighs its character bigrams, as the same words
  // unquoted do (BuildAndGroup): quoting narrows the matches, it does not
  // make a true phrase match weigh less than the words' translations.
  if (!title && han && !latin) {
    std::vector<Xapian::Query> bigrams;
    an_.Analyze(n.text, AnalyzeOptions{}, [&](const Token& t) {
      if (t.kind != TokenKind::kBigram) return;
      bigrams.push_back(BigramQuery(t.text));
      literal_max += WeightOfDf(Df(s::BigramTerm(t.text)) + Df(t.text));
    });
    if (!bigrams.empty())
      literal = han_literal =
          Boosted(literal, Xapian::Query(Xapian::Query::OP_OR, bigrams.begin(), bigrams.end()));
  }
  if (!latin) han_max = literal_max;
  if (latin && han) return Sided::Untranslated(han_literal, han_max, Sided::kHan);  // only in Chinese text
  if (!has_translation)
    return latin ? Sided::Two(literal, han_literal, {literal_max, han_max, literal_max, han_max},
                              Sided::kEither)
                 : Sided::Untranslated(literal, literal_max, Sided::kHan);
  // The translation is looser than the phrase (any order, any distance), so
  // it counts for a share of what the words of a true phrase match would:
  // an article with the phrase as typed ranks above one that only has its
  // words' translations, unless the latter matches them far better.
  const Sided::Weights& tw = translated.w;
  const double share = kTranslatedPhraseShare / std::max(1.0, opt_.translation_factor);
  auto loose = [share](const Xapian::Query& q) {
    return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q, share);
  };
  if (latin)
    return Sided::Two(literal, Xapian::Query(Xapian::Query::OP_OR, loose(translated.han), han_literal),
                      {literal_max, tw.han, literal_max, tw.han_target}, Sided::kHan);
  return Sided::Two(loose(translated.lat), literal, {tw.lat, literal_max, tw.lat_target, literal_max},
                    Sided::kLat);
}

// Builds one query per source word (a concept) for a run of plain words,
// on each script side (Sided), and joins the concepts.
QueryBuilder::Sided QueryBuilder::BuildAndGroup(const std::vector<const QueryNode*>& texts,
                                                const std::string& field, bool require_all, Ctx& c) const {
  const bool title = field == "title";
  const std::string fp = title ? std::string(s::kTitlePrefix) : std::string();
  std::vector<Item> items;
  // English stop words are dropped, unless the query has nothing else
  // ("The Who", "it").
  for (bool drop : {true, false}) {
    if (!items.empty()) break;
    for (const QueryNode* n : texts) {
      std::vector<Token> hw, hb;
      auto flush_han = [&] {
        if (hw.empty()) return;
        std::vector<HanUnit> units;
        HanUnits(hw, hb, &units);
        for (HanUnit& u : units) {
          Item it;
          it.han = true;
          it.unit = std::move(u);
          items.push_back(std::move(it));
        }
        hw.clear();
        hb.clear();
      };
      AnalyzeOptions ao;
      ao.drop_stopwords = drop;
      an_.Analyze(n->text, ao, [&](const Token& t) {
        if (t.script == Script::kLatin) {
          flush_han();
          Item it;
          it.stem = t.text;
          it.raw = t.raw;
          it.name_like = NameLike(n->text, t);
          items.push_back(std::move(it));
        } else if (t.kind == TokenKind::kWord) {
          if (!hw.empty() && hw.back().end != t.begin) flush_han();  // punctuation split the run
          hw.push_back(t);
        } else {
          hb.push_back(t);
        }
      });
      flush_han();
    }
  }
  if (!c.in_not) c.positive_words += items.size();
  for (const Item& it : items) {
    if (it.han)
      ++c.scripts.han;
    else
      c.scripts.AddLatin(it.stem, it.name_like);
  }

  const std::string& hint = c.req->lang_hint;
  // A field query translates into the same field of the other language
  // (HanTitleQuery, GlossTitleQuery).
  const bool en_to_zh = c.cross && hint != "zh";
  const bool zh_to_en = c.cross && hint != "en";
  const double w = opt_.translation_weight;

  std::vector<Sided> concepts;
  std::vector<Xapian::Query> optional;  // Chinese stop words: rank, never required (Han side)
  size_t i = 0;
  while (i < items.size()) {
    if (c.units >= opt_.max_query_units) {
      c.out->info.truncated = true;
      break;
    }
    const Item& it = items[i];
    if (it.han) {
      // Adjacent units that together are one dictionary word with glosses
      // translate as that word (ICU splits 西弗吉尼亚, West Virginia, into
      // 西弗 "sievert" and 吉尼亚); each unit is still matched as itself.
      size_t span = 1;
      std::string text = it.unit.text;
      if (zh_to_en && lex_) {
        std::string joined = text;
        for (size_t j = i + 1; j < items.size() && j < i + 4; ++j) {
          if (!items[j].han || items[j].unit.begin != items[j - 1].unit.end) break;
          joined += items[j].unit.text;
          if (lex_->Contains(joined) && !ChineseToEnglish(joined).empty()) {
            span = j - i + 1;
            text = joined;
          }
        }
      }
      c.units += span;
      QueryWord qw{text, "zh", {}, false, {}};
      std::vector<Xapian::Query> origs;
      double orig_max = 0;
      for (size_t k = i; k < i + span; ++k) {
        const HanUnit& u = items[k].unit;
        if (title) {
          std::vector<Xapian::Query> ws;
          for (const std::string& x : u.words) {
            ws.push_back(c.Term(s::FieldTextTerm(fp, false, x), false));
            orig_max += TermWeight(s::FieldTextTerm(fp, false, x));
            c.Term(x, false);
          }
          origs.push_back(TitlePhrase(PositionsFor(u.words.size()), u.words, ws));
          continue;
        }
        std::vector<Xapian::Query> ws, bs;
        for (const std::string& x : u.words) {
          ws.push_back(c.Term(x, false));
          orig_max += TermWeight(x);
        }
        for (const std::string& x : u.bigrams) {
          c.Term(s::BigramTerm(x), false);
          c.Term(x, false);
          bs.push_back(BigramQuery(x));
          orig_max += WeightOfDf(Df(s::BigramTerm(x)) + Df(x));
        }
        Xapian::Query wq(Xapian::Query::OP_OR, ws.begin(), ws.end());
        // The word boost matters for ranking Chinese queries (measured):
        // a document segmented like the query ranks above one that only
        // has the characters.
        // (A document that holds a word of two or more characters holds its
        // bigrams, so for such a unit OR has the matches of the bigrams' AND.)
        Xapian::Query bq(Xapian::Query::OP_AND, bs.begin(), bs.end());
        if (bs.empty())
          origs.push_back(wq);
        else if (u.words.size() == 1)
          origs.push_back(Xapian::Query(Xapian::Query::OP_OR, bq, wq));
        else
          origs.push_back(Boosted(bq, wq));
      }
      const Xapian::Query orig(require_all ? Xapian::Query::OP_AND : Xapian::Query::OP_OR, origs.begin(),
                               origs.end());
      const HanUnit& u = it.unit;
      const bool stop =
          IsChineseStopWord(text) || (span == 1 && u.words.size() == 1 && DecodeUtf8(u.text).size() == 1 &&
                                      IsChineseStopWord(u.words[0]));
      Xapian::Query own = orig;
      SynonymBuilder variants, glosses;
      double variants_df = 0, glosses_df = 0;
      // Regional variants (特朗普/川普, 软件/軟體): other headwords whose main
      // sense has the same gloss; weighted as translations, on the Han side.
      if (c.cross && !stop) {
        for (const std::string& v : ChineseVariants(text)) {
          if (title) {
            double df = 0;
            variants.Add(HanTitleQuery(v, &c.out->highlight_terms, &df));
            variants_df += df;
          } else {
            variants.Add(HanTextQuery(v, &c.out->highlight_terms));
            variants_df += TextDf(v);
          }
          c.out->translated_terms.insert(v);
          qw.variants.push_back(v);
        }
      }
      // The words of its multi-word glosses alone (PartialWords): a partial
      // match of the concept, only where words may be missing.
      std::vector<Xapian::Query> partial;
      if (zh_to_en && !stop) {
        const std::vector<std::vector<std::string>> senses = ChineseToEnglish(text);
        // (Listed in the explanation in any mode; searched in the relaxed
        // query and mode=any.)
        for (const std::string& word : PartialWords(senses)) {
          qw.translations.push_back(Translation{word, kPartialShare, true});
          if (require_all) continue;
          c.Term(s::StemTerm(word), true);                         // highlighted, and a translated term
          partial.emplace_back(s::FieldTextTerm(fp, true, word));  // ZS<stem> for title:
        }
        for (const auto& stems : senses) {
          std::string shown;
          for (const std::string& st : stems) {
            c.Term(s::StemTerm(st), true);  // highlighted word by word
            shown += (shown.empty() ? "" : " ") + st;
          }
          if (title) {
            double df = 0;
            glosses.Add(GlossTitleQuery(stems, &df));
            glosses_df += df;
          } else {
            glosses.Add(GlossQuery(stems));
            glosses_df += Df(s::GlossTermOf(stems));
          }
          qw.translations.push_back(Translation{shown, 1.0});
          // The gloss as Chinese text may hold it, in Latin letters (沃伦,
          // "Warren": a name the Chinese text keeps as written): on the Han
          // side, weighed as a variant.
          std::vector<Xapian::Query> in_han;
          double df = db_.get_doccount();
          for (const std::string& st : stems) {
            const std::string xz = s::HanLatinTerm(fp, st);
            df = std::min(df, Df(xz));
            if (df == 0) break;
            in_han.push_back(c.HanLatin(xz));
          }
          if (df > 0) {
            variants.Add(Xapian::Query(Xapian::Query::OP_AND, in_han.begin(), in_han.end()));
            variants_df += df;
          }
        }
      }
      // A word's alternatives are one of its senses: the highest weight of
      // the word and its variants is the larger, not the sum.
      double own_max = orig_max;
      if (!variants.empty()) {
        own = Xapian::Query(Xapian::Query::OP_OR, orig,
                            Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, variants.Build(), w));
        own_max = std::max(own_max, w * WeightOfDf(variants_df));
      }
      c.out->info.words.push_back(std::move(qw));
      if (stop)
        optional.push_back(own);
      else if (glosses.empty()) {
        concepts.push_back(variants.empty() ? Sided::Untranslated(own, own_max, Sided::kHan)
                                            : Sided::Two(Sided::Weightless(own), own,
                                                         {0, own_max, 0, own_max}, Sided::kEither));
        concepts.back().lat_optional = c.cross;
      } else {
        concepts.push_back(Sided::Two(Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, glosses.Build(), w), own,
                                      {w * WeightOfDf(glosses_df), own_max, own_max, own_max}, Sided::kLat));
        if (!partial.empty()) {
          concepts.back().lat_partial = Xapian::Query(
              Xapian::Query::OP_SCALE_WEIGHT,
              Xapian::Query(Xapian::Query::OP_SYNONYM, partial.begin(), partial.end()), w * kPartialShare);
          c.partial = true;
        }
      }
      i += span;
      continue;
    }
    // Latin: find the longest run of consecutive Latin items (<= 4) that has
    // a dictionary translation as a phrase ("prime minister").
    size_t best_len = 0;
    std::vector<Translation> best;
    // A romanised Chinese name (Tsai Ing-wen, Ko Wen-je): 2-4 capitalised
    // words that all read as pinyin or Wade-Giles syllables match the Han
    // characters as an adjacent-syllable phrase in the pinyin field.
    std::vector<std::vector<std::string>> sylls;
    if (en_to_zh && !title && opt_.romanised_names && lex_) {  // pinyin has no title field
      size_t words = 0;
      while (i + words < items.size() && words < 4) {
        const Item& x = items[i + words];
        if (x.han || !x.name_like) break;
        std::vector<std::string> cand = lex_->RomanisedSyllables(x.raw);
        if (!cand.empty()) {
          sylls.push_back(std::move(cand));
        } else {
          // Joined pinyin given names: "Jinping" -> jin ping.
          std::vector<std::string> parts = SplitSyllables(x.raw);
          if (parts.empty()) break;
          for (std::string& p : parts) sylls.push_back({std::move(p)});
        }
        ++words;
      }
      // At least two words: a single capitalised English word that happens
      // to split into syllables ("Time" -> ti me) is not a name.
      if (sylls.size() < 2 || words < 2)
        sylls.clear();
      else
        best_len = words;
    }
    if (!sylls.empty()) {
      std::vector<std::string> stems;
      for (size_t k = i; k < i + best_len; ++k) stems.push_back(items[k].stem);
      best = EnglishToChinese(stems);
    } else if (en_to_zh) {
      size_t max_len = 0;
      while (i + max_len < items.size() && !items[i + max_len].han && max_len < 4) ++max_len;
      for (size_t len = max_len; len >= 1; --len) {
        std::vector<std::string> stems;
        bool digits = false;
        for (size_t k = i; k < i + len; ++k) {
          stems.push_back(items[k].stem);
          if (std::all_of(items[k].stem.begin(), items[k].stem.end(),
                          [](char ch) { return ch >= '0' && ch <= '9'; }))
            digits = true;
        }
        if (digits) continue;
        best = EnglishToChinese(stems);
        if (!best.empty()) {
          best_len = len;
          break;
        }
      }
    }
    const size_t len = std::max<size_t>(best_len, 1);
    std::vector<Xapian::Query> ws, hs;
    std::string shown;
    double orig_max = 0, han_max = 0, han_df = db_.get_doccount();
    for (size_t k = i; k < i + len; ++k) {
      ws.push_back(c.Term(s::FieldTextTerm(fp, true, items[k].stem), false));
      orig_max += TermWeight(s::FieldTextTerm(fp, true, items[k].stem));
      if (title) c.out->highlight_terms.insert(s::StemTerm(items[k].stem));
      const std::string xz = s::HanLatinTerm(fp, items[k].stem);
      han_df = std::min(han_df, Df(xz));
      if (han_df > 0) {
        hs.push_back(c.HanLatin(xz));
        han_max += TermWeight(xz);
      }
      shown += (shown.empty() ? "" : " ") + items[k].raw;
    }
    c.units += len;
    Xapian::Query orig = ws.size() == 1 ? ws[0] : Xapian::Query(Xapian::Query::OP_AND, ws.begin(), ws.end());
    // The words as they stand in Chinese text (XZ terms), if every one of
    // them does somewhere; an empty query otherwise.
    Xapian::Query in_han;
    if (han_df > 0)
      in_han = hs.size() == 1 ? hs[0] : Xapian::Query(Xapian::Query::OP_AND, hs.begin(), hs.end());
    QueryWord qw{shown, "en", {}, false, {}};
    SynonymBuilder alts;
    double alts_df = 0;
    if (c.phrase_translation && best.size() > kPhraseTranslations) best.resize(kPhraseTranslations);
    for (const Translation& t : best) {
      if (title) {
        double df = 0;
        alts.Add(HanTitleQuery(t.term, &c.out->highlight_terms, &df));
        alts_df += df;
      } else {
        alts.Add(HanTextQuery(t.term, &c.out->highlight_terms));
        alts_df += TextDf(t.term);
      }
    }
    for (const Translation& t : best) c.out->translated_terms.insert(t.term);
    qw.translations = best;
    if (!sylls.empty()) {
      std::vector<std::vector<std::string>> pos;
      std::string shown_py;
      for (const auto& cands : sylls) {
        pos.emplace_back();
        for (const std::string& py : cands) {
          pos.back().push_back(s::PinyinTerm(py));
          c.Term(pos.back().back(), true);
        }
        shown_py += (shown_py.empty() ? "" : " ") + cands[0];
        for (size_t k = 1; k < cands.size(); ++k) shown_py += "|" + cands[k];
      }
      alts.AddPhrase(PositionsFor(pos.size()), s::kSlotPinyinPositions, pos);
      // The name's rarest syllable bounds the documents its phrase matches.
      double py_df = db_.get_doccount();
      for (const auto& cands : pos) {
        double d = 0;
        for (const std::string& t : cands) d += Df(t);
        py_df = std::min(py_df, d);
      }
      alts_df += py_df;
      qw.romanised = true;
      qw.translations.push_back(Translation{"pinyin:" + shown_py, 1.0});
    }
    c.out->info.words.push_back(std::move(qw));
    if (alts.empty()) {
      // No translation: the words on the Latin side, and on the Han side as
      // they stand in Chinese text, each at its own weight.
      concepts.push_back(Sided::Two(orig, in_han, {orig_max, han_max, orig_max, han_max}, Sided::kEither));
    } else {
      // The words as they stand in Chinese text are one more alternative of
      // their translations (a name that the Chinese text keeps in Latin).
      if (!in_han.empty()) {
        alts.Add(in_han);
        alts_df += han_df;
      }
      concepts.push_back(Sided::Two(orig, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, alts.Build(), w),
                                    {orig_max, w * WeightOfDf(alts_df), orig_max, orig_max}, Sided::kHan));
    }
    i += len;
  }
  if (c.coord) c.coord->insert(c.coord->end(), concepts.begin(), concepts.end());
  if (concepts.empty() && optional.empty()) return Sided{};
  Xapian::Query opt(Xapian::Query::OP_OR, optional.begin(), optional.end());
  if (concepts.empty()) return Sided::Untranslated(opt, 0, Sided::kHan);
  Sided req = Sided::Combine(require_all ? Xapian::Query::OP_AND : Xapian::Query::OP_OR, concepts);
  if (optional.empty()) return req;
  // Stop words rank on the Han side only (they have no translation).
  // (Not Boosted(req.han, opt), which would search the query twice: an AND
  // with the stop words ORed with a zero-weight match-all has the same
  // matches and weights.)
  Xapian::Query ranked(
      Xapian::Query::OP_AND, req.han,
      Xapian::Query(Xapian::Query::OP_OR, opt,
                    Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query::MatchAll, 0)));
  return req.same ? req.With(ranked, ranked) : req.With(req.lat, ranked);
}

// One run of text (a word, or a Chinese query without spaces). At the top
// of the relaxed query it is relaxed as a run of words would be (in its
// field), and its concepts are coordinated.
QueryBuilder::Sided QueryBuilder::BuildText(const QueryNode& n, bool top, Ctx& c) const {
  std::vector<const QueryNode*> one{&n};
  const bool relax = top && c.relaxed;
  std::vector<Sided>* coord = c.coord;
  c.coord = relax ? coord : nullptr;
  Sided q = BuildAndGroup(one, n.field, !relax, c);
  if (relax) c.out->relaxable = coord && coord->size() > 1;
  c.coord = coord;
  return q;
}

QueryBuilder::Sided QueryBuilder::BuildNode(const QueryNode& n, bool top, Ctx& c) const {
  // Whether every match must match this node (for a phrase's check).
  const bool conjunct = top || c.conjunct_child;
  c.conjunct_child = false;
  switch (n.kind) {
    case QueryNode::kText: {
      if (n.field == "source" || n.field == "section") {
        return Sided::Boolean(
            Xapian::Query(s::FieldTerm(n.field == "source" ? s::kSourcePrefix : s::kSectionPrefix, n.text)));
      }
      return BuildText(n, top, c);
    }
    case QueryNode::kPhrase:
      if (n.field == "source" || n.field == "section") {
        QueryNode t = n;
        t.kind = QueryNode::kText;
        return BuildNode(t, false, c);
      }
      if (c.loose_phrases) {
        QueryNode t = n;
        t.kind = QueryNode::kText;
        return BuildText(t, top, c);
      }
      return BuildPhrase(n, conjunct, c);
    case QueryNode::kNot: {
      if (n.children.empty()) return Sided{};
      const bool loose = c.loose_phrases, in_not = c.in_not;  // exclusions stay exact
      c.loose_phrases = false;
      c.in_not = true;
      Sided q = BuildNode(n.children[0], false, c);
      c.loose_phrases = loose;
      c.in_not = in_not;
      return q;
    }
    case QueryNode::kOr: {
      std::vector<Sided> qs;
      for (const QueryNode& ch : n.children) {
        Sided q = BuildNode(ch, false, c);
        if (!q.empty()) qs.push_back(q);
      }
      if (qs.empty()) return Sided{};
      return Sided::Combine(Xapian::Query::OP_OR, qs);
    }
    case QueryNode::kAnd:
      return BuildAnd(n, top, c);
  }
  return Sided{};
}

// An AND node. Consecutive plain words form one group, so that multi-word
// dictionary phrases and Han runs split by spaces translate as one. At the
// top of a query in mode=any, and of the relaxed query, the positive parts
// are ORed and each concept (a word with its translations; a phrase, a
// field query or an OR as one) goes to c.coord for coordination. The
// relaxed query drops parts, never loosens one: a phrase keeps its
// adjacency, a field its field, and exclusions stay (issue 22: `"New York"`
// never relaxes into "new" and "York" apart).
QueryBuilder::Sided QueryBuilder::BuildAnd(const QueryNode& n, bool top, Ctx& c) const {
  const bool all = !top || c.req->mode == SearchRequest::Mode::kAll;
  std::vector<Sided>* coord = top && !all ? c.coord : nullptr;
  c.coord = nullptr;  // nested nodes are one concept each
  std::vector<Sided> pos;
  std::vector<Xapian::Query> neg;
  std::vector<const QueryNode*> group;
  std::string group_field;
  std::deque<QueryNode> loosened;  // phrases of prose, as text (Ctx::loose_phrases)
  size_t concepts = 0;
  auto flush = [&] {
    if (group.empty()) return;
    c.coord = coord;
    const size_t before = coord ? coord->size() : 0;
    Sided q = BuildAndGroup(group, group_field, all, c);
    c.coord = nullptr;
    concepts += coord ? coord->size() - before : 0;
    if (!q.empty()) pos.push_back(std::move(q));
    group.clear();
  };
  for (const QueryNode& node : n.children) {
    const QueryNode* text = &node;
    if (c.loose_phrases && node.kind == QueryNode::kPhrase) {
      loosened.push_back(node);
      loosened.back().kind = QueryNode::kText;
      text = &loosened.back();
    }
    const QueryNode& ch = *text;
    if (ch.kind == QueryNode::kText && (ch.field.empty() || ch.field == "title")) {
      if (!group.empty() && ch.field != group_field) flush();
      group_field = ch.field;
      group.push_back(&ch);
      continue;
    }
    flush();
    c.conjunct_child = top && all && ch.kind != QueryNode::kNot;
    Sided q = BuildNode(ch, false, c);
    if (q.empty()) continue;
    if (ch.kind == QueryNode::kNot) {
      neg.push_back(q.Either());  // excluded whichever version has it
      continue;
    }
    if (coord) coord->push_back(q);
    ++concepts;
    pos.push_back(std::move(q));
  }
  flush();
  c.coord = coord;
  // The relaxed query matches more than `all` if it has two concepts.
  if (top && c.relaxed) c.out->relaxable = concepts > 1;
  Sided p = pos.empty() ? Sided::Boolean(Xapian::Query::MatchAll)
                        : Sided::Combine(all ? Xapian::Query::OP_AND : Xapian::Query::OP_OR, pos);
  if (neg.empty()) return pos.empty() ? Sided{} : p;
  Xapian::Query nq(Xapian::Query::OP_OR, neg.begin(), neg.end());
  if (p.same) {
    Xapian::Query q(Xapian::Query::OP_AND_NOT, p.lat, nq);
    return p.With(q, q);
  }
  return p.With(Xapian::Query(Xapian::Query::OP_AND_NOT, p.lat, nq),
                Xapian::Query(Xapian::Query::OP_AND_NOT, p.han, nq));
}

BuiltQuery QueryBuilder::Build(const ParsedQuery& pq, const SearchRequest& req) const {
  const bool cross = req.cross == SearchRequest::Cross::kAuto && lex_ != nullptr;
  auto fresh = [&] {
    BuiltQuery b;
    b.info.detected_language = "none";
    b.info.cross = cross;
    b.info.translation_weight = cross ? opt_.translation_weight : 0;
    b.info.repairs = pq.repairs;
    b.info.truncated = pq.truncated;
    b.info.max_query_bytes = opt_.max_query_bytes;
    b.info.max_query_units = opt_.max_query_units;
    return b;
  };
  SearchRequest all_req = req;
  all_req.mode = SearchRequest::Mode::kAll;
  BuiltQuery out = fresh();
  Ctx c{&all_req, &out, cross};
  Sided all = BuildNode(pq.root, true, c);
  const std::string lang = c.scripts.Language();
  out.info.detected_language = lang;
  // The side of the other language than the query's is the translated one:
  // it is multiplied by translation_factor (EngineOptions) if it holds a
  // translation (Sided::Best), and the side of the words as typed is not. A
  // mixed query has no such side.
  const double factor = cross && (lang == "en" || lang == "zh") ? opt_.translation_factor : 1.0;
  const double lat_factor = lang == "zh" ? factor : 1.0;
  const double han_factor = lang == "en" ? factor : 1.0;
  // And the translated side only matches the articles that have no version
  // in the query's language (issue 22): an article with one is scored by it,
  // as typed, so translation never ranks an article's own translation
  // above an article that holds the words as typed. Translation finds the
  // articles that exist only in the other language.
  const Xapian::Query own_language =
      cross && (lang == "en" || lang == "zh") ? Xapian::Query(s::LanguageTerm(lang)) : Xapian::Query();
  auto exclude = [&](Sided q) {
    if (own_language.empty() || q.same) return q;
    Xapian::Query& side = lang == "en" ? q.han : q.lat;
    if (!side.empty()) side = Xapian::Query(Xapian::Query::OP_AND_NOT, side, own_language);
    return q;
  };
  auto best = [&](const Sided& q) { return exclude(q).Best(lat_factor, han_factor); };
  out.all = best(all);
  if (!all.same) {
    auto rounded = [](double f) { return std::round(f * 1000) / 1000; };
    out.info.scale_en = rounded(all.LatScale());
    out.info.scale_zh = rounded(all.HanScale());
    // The factor applied: 1 if the translated side holds no translation.
    out.info.translation_factor =
        (lang == "zh" && all.lat_translated) || (lang == "en" && all.han_translated) ? factor : 1.0;
  }
  // The same structure with top-level groups ORed (mode=any), and the
  // relaxed query, which also searches phrases as plain words. Built with
  // scratch contexts so the explanation is not duplicated.
  SearchRequest any_req = req;
  any_req.mode = SearchRequest::Mode::kAny;
  BuiltQuery scratch;
  // Both are coordinated: each concept an article matches adds a fixed
  // weight (CoordinationWeight), so that a short query's hits rank by how
  // many of its concepts they match before the words' weights (issue 22).
  const double highest = std::max(all.w.lat_target, all.w.han_target) * std::max(1.0, factor);
  // Each side counts the concepts its own terms match (a version is
  // scored as a document of its own): a concept that a side cannot match
  // (a Chinese word with no translation, on the Latin side; a Latin word
  // that no Chinese text holds, on the Han side) is not counted there.
  auto coordinated = [&](const Sided& sided, const std::vector<Sided>& parts) {
    const double coord_weight = CoordinationWeight(highest, parts.size());
    const Sided q = exclude(sided);
    std::vector<Sided> concepts;
    for (const Sided& k : parts) concepts.push_back(exclude(k));
    std::vector<Xapian::Query> lat, han;
    for (const Sided& k : concepts) {
      if (!k.lat_optional && !(k.same && k.own == Sided::kHan))
        lat.push_back(
            k.lat_partial.empty()
                ? CoordinationOf(k.lat, coord_weight)
                : Xapian::Query(Xapian::Query::OP_MAX, CoordinationOf(k.lat, coord_weight),
                                CoordinationOf(k.lat_partial, coord_weight * kPartialCoordination)));
      if (!k.han.empty()) han.push_back(CoordinationOf(k.han, coord_weight));
    }
    if (q.same) {
      std::vector<Xapian::Query> either;
      for (const Sided& k : concepts) either.push_back(CoordinationOf(k.Either(), coord_weight));
      return q.Best(1, 1, Coordination(either));
    }
    return q.Best(lat_factor, han_factor, Coordination(lat), Coordination(han));
  };
  std::vector<Sided> any_concepts, relaxed_concepts;
  Ctx c2{&any_req, &scratch, c.cross};
  c2.coord = &any_concepts;
  const Sided any = BuildNode(pq.root, true, c2);
  out.any = coordinated(any, any_concepts);
  Ctx c3{&any_req, &scratch, c.cross};
  c3.relaxed = true;
  c3.loose_phrases = ReadsAsProse(pq);
  c3.coord = &relaxed_concepts;
  const Sided relaxed = BuildNode(pq.root, true, c3);
  out.relaxed = coordinated(relaxed, relaxed_concepts);
  out.relaxable = scratch.relaxable || c3.partial;
  out.info.coordination = std::round(CoordinationWeight(highest, relaxed_concepts.size()) * 1000) / 1000;
  // And `all` with its top-level phrases checked after the match
  // (PhraseDecider), if it has any.
  const QueryNode& root = pq.root;
  bool top_phrase = root.kind == QueryNode::kPhrase;
  if (root.kind == QueryNode::kAnd)
    for (const QueryNode& ch : root.children) top_phrase |= ch.kind == QueryNode::kPhrase;
  if (top_phrase) {
    BuiltQuery deferred;
    Ctx c4{&all_req, &deferred, c.cross};
    c4.defer_phrases = true;
    Xapian::Query q = best(BuildNode(pq.root, true, c4));
    if (!deferred.phrase_checks.empty()) {
      out.all_unchecked = std::move(q);
      out.phrase_checks = std::move(deferred.phrase_checks);
    }
  }
  // Exactness (Meilisearch's ranking rule of that name, Typesense's
  // prioritize_exact_match): a query of plain words that reads as a
  // version's whole title (an editor pasting a headline) adds a fixed share
  // of the query's highest weight to that article, on top of its better
  // side, so it ranks above articles that only hold the same words.
  const std::string plain = pq.truncated || out.all.empty() ? std::string() : PlainQueryText(pq.root);
  const std::string exact = plain.empty() ? std::string() : ExactTitleTerm(an_, plain);
  const double bonus = kExactTitleMultiple * std::max(all.w.lat_target, all.w.han_target);
  if (!exact.empty() && bonus > 0 && Df(exact) > 0) {
    auto with_bonus = [&](Xapian::Query q) {
      if (q.empty()) return q;
      Xapian::Query fixed((new Xapian::FixedWeightPostingSource(bonus))->release());
      return Xapian::Query(Xapian::Query::OP_AND_MAYBE, q,
                           Xapian::Query(Xapian::Query::OP_FILTER, fixed, Xapian::Query(exact)));
    };
    out.all = with_bonus(out.all);
    out.any = with_bonus(out.any);
    out.relaxed = with_bonus(out.relaxed);
    out.all_unchecked = with_bonus(out.all_unchecked);
    out.info.exact_title = std::round(bonus * 1000) / 1000;
  }
  out.info.mode = req.mode == SearchRequest::Mode::kAll ? "all" : "any";
  out.empty = out.all.empty();
  // A query whose words were all dropped by analysis (an emoji, a word
  // over the length limit, bytes that are no UTF-8) matches nothing: only a
  // query with no words at all lists the archive (issue 28).
  std::string text;
  PositiveText(pq.root, &text);
  if (c.positive_words == 0 && HasWordCharacters(text)) {
    out.all = out.any = out.relaxed = Xapian::Query::MatchNothing;
    out.empty = false;
    out.relaxable = false;
    out.info.repairs.push_back("no searchable word in the query: nothing matches");
  }
  return out;
}

}  // namespace tongwen
