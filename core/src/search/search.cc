// Searcher::Search: one search request, from the query string to the page
// of hits, its totals and facets.
#include <algorithm>
#include <memory>
#include <unordered_set>
#include <vector>

#include <xapian.h>

#include "query/query_builder.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "schema/weighting.h"
#include "search/date_key.h"
#include "search/facets.h"
#include "search/phrase_decider.h"
#include "search/posting_sources.h"
#include "search/searcher.h"
#include "search/snippet.h"
#include "search/value_columns.h"

#include "tongwen/query.h"

namespace tongwen {

namespace s = schema;

namespace {

// The hits (given as docids) that any of `terms` indexes: one postlist walk
// per term with skip_to, cheaper than reading each hit's termlist.
std::unordered_set<Xapian::docid> DocsWithAnyTerm(const Xapian::Database& db,
                                                  const std::unordered_set<std::string>& terms,
                                                  const std::vector<Xapian::docid>& sorted) {
  std::unordered_set<Xapian::docid> found;
  for (const std::string& t : terms) {
    if (found.size() == sorted.size()) break;
    Xapian::PostingIterator p = db.postlist_begin(t);
    for (Xapian::docid d : sorted) {
      if (found.count(d)) continue;
      p.skip_to(d);
      if (p == db.postlist_end(t)) break;
      if (*p == d) found.insert(d);
    }
  }
  return found;
}

// matched_via: "original" if a term of the query as typed indexes the hit,
// "translation" if only translated terms (or their bigrams) do, "both".
void SetMatchedVia(const Xapian::Database& db, const BuiltQuery& bq, std::vector<Hit>* hits) {
  if (hits->empty()) return;
  std::vector<Xapian::docid> sorted;
  for (const Hit& h : *hits) sorted.push_back(h.docid);
  std::sort(sorted.begin(), sorted.end());
  const auto orig = DocsWithAnyTerm(db, bq.original_terms, sorted);
  const auto trans = DocsWithAnyTerm(db, bq.translated_terms, sorted);
  for (Hit& h : *hits) {
    const bool o = orig.count(h.docid) > 0, t = trans.count(h.docid) > 0;
    // A Chinese translation can match through its bigrams alone, which are
    // not listed as translated terms: no original term means translation.
    h.matched_via = o && t ? "both" : o ? "original" : "translation";
  }
}

// The request's filters (source, section, lang, original, dates) as one
// boolean query; empty if it has none.
Xapian::Query Filters(const Searcher& searcher, const SearchRequest& r) {
  std::vector<Xapian::Query> f;
  if (!r.sources.empty()) {
    std::vector<Xapian::Query> srcs;
    for (const std::string& x : r.sources) srcs.emplace_back(s::FieldTerm(s::kSourcePrefix, x));
    f.emplace_back(Xapian::Query::OP_OR, srcs.begin(), srcs.end());
  }
  if (!r.section.empty()) f.emplace_back(s::FieldTerm(s::kSectionPrefix, r.section));
  if (!r.lang.empty()) f.emplace_back(s::LanguageTerm(r.lang));
  if (!r.original.empty()) f.emplace_back(s::OriginalTerm(r.original));
  if (!r.from.empty() || !r.to.empty()) {
    auto* window = new DateWindowSource(searcher.Columns(), r.from.empty() ? 0 : DateNumber(r.from),
                                        r.to.empty() ? UINT32_MAX : DateNumber(r.to));
    f.emplace_back(window->release());
  }
  if (f.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_AND, f.begin(), f.end());
}

// The Enquire of a ranking pass (the query's, and the relaxed query's after
// it): BM25 over the prenormalised wdfs, the time limit, the date order
// (`date_key`; null: by relevance) and the near-duplicate collapse.
Xapian::Enquire RankingEnquire(const Searcher& searcher, const SearchRequest& req, DateKey* date_key) {
  Xapian::Enquire enq(searcher.db());
  enq.set_weighting_scheme(PrenormalizedBM25());
  searcher.LimitTime(&enq);
  if (date_key) enq.set_sort_by_key_then_relevance(date_key, req.sort != SearchRequest::Sort::kDate);
  if (req.collapse_duplicates) enq.set_collapse_key(s::kSlotDupGroup);
  return enq;
}

}  // namespace

Result<SearchResponse> Searcher::Search(const SearchRequest& req) const {
  SearchResponse resp;
  Result<const StoredCodec*> codec = Codec();
  if (!codec.ok()) return codec.status();
  ParsedQuery pq = ParseQuery(req.q, options().max_query_bytes);
  QueryBuilder qb(db_, analyzer(), options().lexicon, options(), &Memo(), [this] { return Positions(); });
  BuiltQuery bq = qb.Build(pq, req);
  const bool all_mode = req.mode == SearchRequest::Mode::kAll;
  Xapian::Query primary = bq.empty ? Xapian::Query::MatchAll : (all_mode ? bq.all : bq.any);
  Xapian::Query filter = Filters(*this, req);
  auto filtered = [&](Xapian::Query q) {
    if (req.recency > 0 && req.sort == SearchRequest::Sort::kRelevance) {
      std::string hi = db_.get_value_upper_bound(s::kSlotDayNumber);
      if (!hi.empty()) {
        // The bonus is comparable to a good BM25 match (~ a few points).
        auto* src = new RecencySource(Columns(), Xapian::sortable_unserialise(hi), req.recency, 2.0);
        q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, Xapian::Query(src->release()));
      }
    }
    return filter.empty() ? q : Xapian::Query(Xapian::Query::OP_FILTER, q, filter);
  };
  // By date: sort=date (oldest first), sort=-date and an empty query
  // (newest first). The key maker outlives both Enquires.
  std::unique_ptr<DateKey> date_key;
  if (req.sort != SearchRequest::Sort::kRelevance || bq.empty)
    date_key = std::make_unique<DateKey>(Columns());
  Xapian::Enquire enq = RankingEnquire(*this, req, date_key.get());
  std::vector<Xapian::docid> facet_docs;  // every match, when facets are asked for
  DocidCollector collector(&facet_docs);
  const bool faceted = !req.facets.empty();
  // Top-level phrases are checked after the match (search/phrase_decider.h): the ranking
  // and counting passes search `all` with them as the AND of their words.
  const bool checked = all_mode && !bq.empty && !bq.phrase_checks.empty();
  const Xapian::Query searched = checked ? bq.all_unchecked : primary;
  PhraseDecider phrase_decider(checked ? bq.phrase_checks : std::vector<PhraseCheck>{});
  const Xapian::MatchDecider* decider = checked ? &phrase_decider : nullptr;
  enq.set_query(filtered(searched));
  const Xapian::doccount want = static_cast<Xapian::doccount>(req.offset + req.limit);
  // Totals are exact up to opt.exact_total matches; beyond, `total` is a
  // lower bound and total_estimate Xapian's estimate.
  const auto exact_total = static_cast<Xapian::doccount>(options().exact_total);
  // The ranking pass examines every match when there are at most
  // exact_total of them; its spy then has them all for the facets.
  if (faceted) enq.add_matchspy(&collector);
  Xapian::MSet mset =
      enq.get_mset(static_cast<Xapian::doccount>(req.offset), static_cast<Xapian::doccount>(req.limit),
                   std::max(want, exact_total), nullptr, decider);
  resp.total_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
  resp.total = mset.get_matches_lower_bound();
  resp.total_estimate = mset.get_matches_estimated();
  // (With a decider, Xapian's lower bound is the documents it accepted.)
  if (faceted && !(resp.total_exact && facet_docs.size() == resp.total)) {
    // Facets count every match: a second pass over all of them, without
    // ranking (BoolWeight). It also makes `total` exact. (Since searches
    // read no document lengths, ranking every match in the first pass
    // instead costs about the same.)
    facet_docs.clear();
    Xapian::Enquire fenq(db_);
    fenq.set_weighting_scheme(Xapian::BoolWeight());
    fenq.set_docid_order(Xapian::Enquire::DONT_CARE);
    LimitTime(&fenq);
    if (req.collapse_duplicates) fenq.set_collapse_key(s::kSlotDupGroup);
    fenq.add_matchspy(&collector);
    fenq.set_query(filtered(searched));
    PhraseDecider count_decider(checked ? bq.phrase_checks : std::vector<PhraseCheck>{});
    Xapian::MSet all = fenq.get_mset(0, 0, db_.get_doccount(), nullptr, checked ? &count_decider : nullptr);
    resp.total_exact = all.get_matches_lower_bound() == all.get_matches_upper_bound();
    resp.total = all.get_matches_lower_bound();
    resp.total_estimate = all.get_matches_estimated();
  }
  const Snippeter snippeter(analyzer(), bq.highlight_terms);
  for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m) {
    Result<Hit> hit = MakeHit(**codec, m, snippeter, req.snippet_length);
    if (!hit.ok()) return hit.status();
    resp.hits.push_back(std::move(*hit));
  }
  // Relaxation: when the query matches fewer than a page, append matches
  // of the relaxed query (any word, phrases as words) after them, as
  // Meilisearch's "last" matching strategy does.
  if (!bq.empty && mset.get_matches_upper_bound() < want && bq.relaxable &&
      bq.relaxed.get_description() != primary.get_description()) {
    const Xapian::doccount n_all = mset.get_matches_upper_bound();
    Xapian::Enquire enq2 = RankingEnquire(*this, req, date_key.get());
    // Facets count the appended matches too, so they add up to `total`.
    if (faceted) enq2.add_matchspy(&collector);
    // Exclude the all-words matches, which already lead the list.
    enq2.set_query(Xapian::Query(Xapian::Query::OP_AND_NOT, filtered(bq.relaxed), filtered(primary)));
    const size_t skip = req.offset > n_all ? req.offset - n_all : 0;
    const size_t take = req.limit - std::min<size_t>(req.limit, resp.hits.size());
    Xapian::MSet m2 = enq2.get_mset(static_cast<Xapian::doccount>(skip), static_cast<Xapian::doccount>(take),
                                    faceted ? db_.get_doccount() : 0);
    // AND_NOT already excludes the first list; checking the docids as well
    // keeps a hit from ever appearing twice, even if a time limit cut one
    // of the two matches short.
    std::unordered_set<Xapian::docid> shown;
    for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m) shown.insert(*m);
    for (Xapian::MSetIterator m = m2.begin(); m != m2.end(); ++m)
      if (!shown.count(*m)) {
        Result<Hit> hit = MakeHit(**codec, m, snippeter, req.snippet_length);
        if (!hit.ok()) return hit.status();
        resp.hits.push_back(std::move(*hit));
        resp.hits.back().relaxed = true;
      }
    resp.total = n_all + m2.get_matches_lower_bound();
    resp.total_estimate = n_all + m2.get_matches_estimated();
    resp.total_exact = resp.total_exact && m2.get_matches_lower_bound() == m2.get_matches_upper_bound();
    bq.info.relaxed = true;
  }
  if (req.collapse_duplicates) {
    size_t i = 0;
    for (Xapian::MSetIterator m = mset.begin(); m != mset.end() && i < resp.hits.size(); ++m, ++i)
      resp.hits[i].duplicates = m.get_collapse_count();
  }
  SetMatchedVia(db_, bq, &resp.hits);
  std::shared_ptr<const ValueColumns> columns = faceted ? Columns() : nullptr;
  for (const std::string& name : req.facets)
    CountFacet(*columns, static_cast<size_t>(FacetIndex(name)), facet_docs, &resp.facets[name]);
  if (resp.total_exact || resp.total_estimate < resp.total) resp.total_estimate = resp.total;
  resp.query = std::move(bq.info);
  return resp;
}

}  // namespace tongwen
