// Searcher::Related: the articles most like one article, in either
// language ("more like this").
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <xapian.h>

#include "query/expansion.h"
#include "query/phrase_query.h"
#include "query/query_builder.h"
#include "query/weighted_terms.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "schema/weighting.h"
#include "search/posting_sources.h"
#include "search/related_query.h"
#include "search/searcher.h"
#include "search/snippet.h"
#include "search/value_columns.h"

namespace tongwen {

namespace s = schema;

bool TextTermDecider::operator()(const std::string& t) const {
  if (s::IsStemTerm(t) || s::IsHanLatinTerm(t)) {
    const std::string_view stem = s::IsStemTerm(t) ? s::StemOf(t) : s::HanLatinStemOf(t);
    return stem.size() >= 3 &&
           !std::all_of(stem.begin(), stem.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  }
  if (s::IsHanWordTerm(t)) return DecodeUtf8(t).size() >= 2 && !IsChineseStopWord(t);
  return false;
}

RelatedQuery BuildRelatedQuery(const Searcher& searcher, const std::vector<ExpandedTerm>& eset,
                               bool bilingual) {
  const Xapian::Database& db = searcher.db();
  const EngineOptions& opt = searcher.options();
  // Each expansion term, and each translation of one, goes to its script
  // side (schema::IsHanSideTerm): an article is as related as its better
  // side, as in Search (issue 14), so a bilingual article does not add up
  // a match in each language.
  struct Side {
    std::vector<Xapian::Query> parts;
    std::vector<WeightedTermsSource::Term> terms;
  } latin, han;
  RelatedQuery rq;
  std::unordered_set<std::string>& hl = rq.hl;
  QueryBuilder qb(db, searcher.analyzer(), opt.lexicon, opt, &searcher.Memo());  // no phrases
  for (const ExpandedTerm& e : eset) {
    const std::string& t = e.term;
    const double w = e.weight;
    const bool stem = s::IsStemTerm(t);
    (stem ? latin : han).terms.push_back(WeightedTermsSource::Term{t, w});
    hl.insert(t);
    if (s::IsHanLatinTerm(t)) {
      // A Latin word of a Chinese version (a name, schema.h): English text
      // holds it as its stem term, no translation needed.
      const std::string in_english = s::StemTerm(s::HanLatinStemOf(t));
      hl.insert(in_english);
      if (!bilingual && db.get_termfreq(in_english) > 0)
        latin.parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(in_english),
                                 w * opt.translation_weight);
      rq.info.words.push_back(QueryWord{std::string(s::HanLatinStemOf(t)), "en", {}, false, {}});
      continue;
    }
    QueryWord qw{stem ? std::string(s::StemOf(t)) : t, stem ? "en" : "zh", {}, false, {}};
    // Expand into the other language through the dictionary, so coverage
    // that exists only in the other language is found. An article with
    // versions in both languages has expansion terms in both already.
    if (opt.lexicon && !bilingual && rq.info.words.size() < 15) {
      SynonymBuilder alts;
      if (stem) {
        // The word as Chinese text holds it (a name), beside its translations.
        const std::string in_chinese = s::HanLatinTerm({}, s::StemOf(t));
        if (db.get_termfreq(in_chinese) > 0) alts.Add(Xapian::Query(in_chinese));
        for (const Translation& tr : qb.EnglishToChinese({std::string(s::StemOf(t))})) {
          alts.Add(qb.HanTextQuery(tr.term, &hl));
          qw.translations.push_back(tr);
          if (qw.translations.size() >= 3) break;
        }
      } else {
        for (const auto& stems : qb.ChineseToEnglish(t)) {
          std::string shown;
          for (const std::string& st : stems) {
            hl.insert(s::StemTerm(st));
            shown += (shown.empty() ? "" : " ") + st;
          }
          alts.Add(GlossQuery(stems));
          qw.translations.push_back(Translation{shown, 1.0});
        }
      }
      if (!alts.empty())
        (stem ? han : latin)
            .parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, alts.Build(), w * opt.translation_weight);
    }
    rq.info.words.push_back(std::move(qw));
  }
  rq.info.mode = "related";
  rq.info.cross = opt.lexicon != nullptr;
  rq.info.translation_weight = opt.translation_weight;
  // Each side's expansion terms as one MaxScore source (weighted_terms.h)
  // rather than Xapian's tree of two-way ORs; the translations beside it.
  // (Each side in an OP_SCALE_WEIGHT: Xapian 1.4 would flatten an OR
  // under OP_MAX into the MAX's own list; query_builder.h, Sided::Best.)
  std::vector<Xapian::Query> sides;
  for (Side* side : {&latin, &han}) {
    if (!side->terms.empty())
      side->parts.emplace_back((new WeightedTermsSource(std::move(side->terms)))->release());
    if (side->parts.empty()) continue;
    sides.emplace_back(Xapian::Query::OP_SCALE_WEIGHT,
                       Xapian::Query(Xapian::Query::OP_OR, side->parts.begin(), side->parts.end()), 1.0);
  }
  rq.query = Xapian::Query(Xapian::Query::OP_MAX, sides.begin(), sides.end());
  return rq;
}

namespace {

// "original" if document `did` holds one of `sorted_terms`, else "translation".
std::string MatchedVia(const Xapian::Database& db, Xapian::docid did,
                       const std::vector<std::string>& sorted_terms) {
  Xapian::TermIterator t = db.termlist_begin(did);
  const Xapian::TermIterator end = db.termlist_end(did);
  for (const std::string& term : sorted_terms) {
    t.skip_to(term);
    if (t == end) break;
    if (*t == term) return "original";
  }
  return "translation";
}

}  // namespace

Result<SearchResponse> RunRelated(const Searcher& searcher, const Xapian::Query& q, RelatedQuery&& rq,
                                  const RelatedRun& run) {
  Result<const StoredCodec*> codec = searcher.Codec();
  if (!codec.ok()) return codec.status();
  Xapian::Enquire enq(searcher.db());
  enq.set_query(q);
  enq.set_weighting_scheme(PrenormalizedBM25());
  if (run.collapse_duplicates) enq.set_collapse_key(s::kSlotDupGroup);
  searcher.LimitTime(&enq);
  Xapian::MSet m = enq.get_mset(0, static_cast<Xapian::doccount>(run.limit));
  SearchResponse resp;
  resp.query = std::move(rq.info);
  resp.total = m.get_matches_lower_bound();
  resp.total_exact = m.get_matches_lower_bound() == m.get_matches_upper_bound();
  resp.total_estimate =
      resp.total_exact ? resp.total : std::max<uint64_t>(resp.total, m.get_matches_estimated());
  const Snippeter snippeter(searcher.analyzer(), rq.hl);
  for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
    Result<Hit> hit = searcher.MakeHit(**codec, it, snippeter, run.snippet_length);
    if (!hit.ok()) return hit.status();
    if (run.collapse_duplicates) hit->duplicates = it.get_collapse_count();
    if (!run.own_terms.empty()) hit->matched_via = MatchedVia(searcher.db(), *it, run.own_terms);
    resp.hits.push_back(std::move(*hit));
  }
  return resp;
}

Result<SearchResponse> Searcher::Related(const std::string& id, size_t limit, const std::string& before,
                                         size_t snippet_length) const {
  const std::string idterm = s::IdTerm(id);
  Xapian::PostingIterator p = db_.postlist_begin(idterm);
  if (p == db_.postlist_end(idterm)) return Status::NotFound("no article with id \"" + id + "\"");
  const Xapian::docid self = *p;
  // The article's kRelatedTerms best expansion terms: those of
  // Enquire::get_eset with SetExpansionScheme; ExpandDocument reads their
  // frequencies from a per-revision cache.
  const std::vector<ExpandedTerm> eset =
      ExpandDocument(db_, self, kRelatedTerms, TextTermDecider(), TermFreqs().get());
  const Xapian::Document self_doc = db_.get_document(self);
  const bool bilingual = self_doc.get_value(s::kSlotLanguages) == "en,zh";
  RelatedQuery rq = BuildRelatedQuery(*this, eset, bilingual);
  Xapian::Query q(Xapian::Query::OP_AND_NOT, rq.query, Xapian::Query(idterm));
  if (!before.empty()) {  // strictly before the date
    auto* window = new DateWindowSource(Columns(), 1, DateNumber(before) - 1);
    q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(window->release()));
  }
  // Hide the article's own near-duplicates (same story, other outlet).
  std::string group = self_doc.get_value(s::kSlotDupGroup);
  if (!group.empty()) q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, Xapian::Query(s::DupGroupTerm(group)));
  RelatedRun run;
  run.limit = limit;
  run.snippet_length = snippet_length;
  return RunRelated(*this, q, std::move(rq), run);
}

}  // namespace tongwen
