// Searcher::RelatedToText: prior coverage of a draft that is not in the
// archive (issue 25). The draft becomes an article's document, built by the
// indexer's own BuildDocument (index/document_builder.h), so its terms and
// wdfs are those the draft would have once indexed; its best expansion terms
// are then chosen as Related chooses an article's (ExpandDraft), and the
// same query runs (search/related_query.h).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "index/document_builder.h"
#include "query/expansion.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "search/posting_sources.h"
#include "search/related_query.h"
#include "search/searcher.h"
#include "search/value_columns.h"

#include "tongwen/analysis.h"
#include "tongwen/article.h"

namespace tongwen {

namespace s = schema;

namespace {

bool IsLatinLetter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0x24F);
}

}  // namespace

bool IsChineseParagraph(std::string_view text) {
  size_t han = 0, latin = 0;
  for (char32_t c : DecodeUtf8(text)) {
    han += IsHanCodePoint(c);
    latin += IsLatinLetter(c);
  }
  // A Han character is about a word, an English word about five letters:
  // Chinese text quoting a Latin name, or English text quoting a Chinese
  // one, stays what it mostly is.
  return han > 0 && han * 5 >= latin;
}

Article DraftArticle(const std::string& title, const std::string& text) {
  Version en{"en", "en", {}, {}}, zh{"zh", "zh", {}, {}};
  size_t p = 0;
  while (p <= text.size()) {
    size_t q = text.find('\n', p);
    if (q == std::string::npos) q = text.size();
    const std::string_view para(text.data() + p, q - p);
    if (para.find_first_not_of(" \t\r") != std::string_view::npos) {
      std::string& body = IsChineseParagraph(para) ? zh.body : en.body;
      if (!body.empty()) body += '\n';
      body.append(para);
    }
    p = q + 1;
  }
  if (title.find_first_not_of(" \t\r\n") != std::string::npos)
    (IsChineseParagraph(title) ? zh.title : en.title) = title;
  Article a;
  a.json = "{}";
  for (Version* v : {&en, &zh})
    if (!v->title.empty() || !v->body.empty()) a.versions.push_back(std::move(*v));
  return a;
}

namespace {

// The filters of a draft's request (before, lang, source) on `q`.
Xapian::Query Filtered(const Searcher& searcher, Xapian::Query q, const DraftRequest& r) {
  if (!r.sources.empty()) {
    std::vector<Xapian::Query> srcs;
    for (const std::string& x : r.sources) srcs.emplace_back(s::FieldTerm(s::kSourcePrefix, x));
    q = Xapian::Query(Xapian::Query::OP_FILTER, q,
                      Xapian::Query(Xapian::Query::OP_OR, srcs.begin(), srcs.end()));
  }
  if (!r.lang.empty()) q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(s::LanguageTerm(r.lang)));
  if (!r.before.empty()) {  // strictly before the date
    auto* window = new DateWindowSource(searcher.Columns(), 1, DateNumber(r.before) - 1);
    q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(window->release()));
  }
  return q;
}

}  // namespace

Result<SearchResponse> Searcher::RelatedToText(const DraftRequest& req) const {
  const tongwen::Article draft = DraftArticle(req.title, req.text);
  Result<VersionLengths> reference = ReadAverageLength(db_, options().db_dir);
  if (!reference.ok()) return reference.status();
  VersionLengths ref = *reference;
  if (!(ref.latin > 0) || !(ref.han > 0)) ref = MeanVersionLengths({}, 0, 0);  // an empty archive
  Xapian::Document doc;
  BuildDocument(draft, analyzer(), ref, &doc);
  const std::vector<ExpandedTerm> eset =
      ExpandDraft(db_, doc, kRelatedTerms, TextTermDecider(), TermFreqs().get());
  if (eset.empty()) return Status::InvalidArgument("has no words to search for", "text");
  const std::vector<std::string> langs = draft.Languages();
  const bool bilingual = langs.size() == 2;
  RelatedQuery rq = BuildRelatedQuery(*this, eset, bilingual);
  rq.info.detected_language = bilingual ? "mixed" : langs.front();
  const Xapian::Query q = Filtered(*this, rq.query, req);
  RelatedRun run;
  run.limit = req.limit;
  run.snippet_length = req.snippet_length;
  run.collapse_duplicates = req.collapse_duplicates;
  for (const ExpandedTerm& e : eset) run.own_terms.push_back(e.term);
  std::sort(run.own_terms.begin(), run.own_terms.end());
  return RunRelated(*this, q, std::move(rq), run);
}

}  // namespace tongwen
