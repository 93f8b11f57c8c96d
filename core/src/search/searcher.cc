#include "search/searcher.h"

#include <atomic>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "schema/schema.h"
#include "schema/terms.h"
#include "search/snippet.h"
#include "store/stored_article.h"
#include "store/stored_json.h"

namespace tongwen {

namespace s = schema;

namespace {

std::atomic<uint64_t> g_engine_ids{1};

std::shared_ptr<const ValueColumns> NewValueColumns(const Xapian::Database& db, const std::string&) {
  return BuildValueColumns(db);
}
std::shared_ptr<TermFreqCache> NewTermFreqCache(const Xapian::Database&, const std::string& key) {
  return std::make_shared<TermFreqCache>(key);
}

}  // namespace

EngineState::EngineState(const EngineOptions& o)
    : opt(o),
      id(g_engine_ids++),
      analyzer(o.lexicon),
      columns(NewValueColumns),
      term_freqs(NewTermFreqCache),
      positions(o.positions_in_memory) {}

TranslationMemo& Searcher::Memo() const {
  thread_local std::unordered_map<uint64_t, TranslationMemo> memos;
  TranslationMemo& m = memos[state_.id];
  m.Refresh(db_);
  return m;
}

Result<const StoredCodec*> Searcher::Codec() const {
  struct Entry {
    std::string uuid;
    std::shared_ptr<const StoredCodec> codec;
  };
  thread_local std::unordered_map<uint64_t, Entry> codecs;
  Entry& e = codecs[state_.id];
  std::string uuid = db_.get_uuid();
  if (!e.codec || e.uuid != uuid) {
    Result<std::shared_ptr<const StoredCodec>> c = StoredCodec::ForDatabase(db_);
    if (!c.ok()) return Status::Corruption(state_.opt.db_dir + ": " + c.status().message());
    e.codec = *c;
    e.uuid = std::move(uuid);
  }
  return e.codec.get();
}

void Searcher::LimitTime(Xapian::Enquire* enquire) const {
  if (state_.opt.query_time_limit_ms) enquire->set_time_limit(state_.opt.query_time_limit_ms / 1000.0);
}

Result<Hit> Searcher::MakeHit(const StoredCodec& codec, const Xapian::MSetIterator& m,
                              const Snippeter& snippeter, size_t snippet_length) const {
  Hit h;
  h.docid = *m;
  Xapian::Document doc = m.get_document();
  h.score = std::round(m.get_weight() * 1000) / 1000;
  StoredHitFields f;
  Result<std::string> json = StoredArticle(codec, doc);
  if (!json.ok()) return Status::Unavailable(state_.opt.db_dir + ": " + json.status().message());
  if (!ReadStoredHitFields(*json, &f) || f.id.empty())
    return Status::Unavailable(state_.opt.db_dir + ": docid " + std::to_string(h.docid) +
                               ": stored article has no readable id");
  h.id = std::move(f.id);
  h.published = std::move(f.published);
  h.source = std::move(f.source);
  h.section = std::move(f.section);
  h.url = std::move(f.url);
  h.original_language = std::move(f.original_language);
  for (StoredVersionText& v : f.versions) {
    if (!v.title.empty()) h.titles.emplace_back(v.tag, v.title);
    h.snippets.emplace_back(v.tag, snippeter.Make(v.body.empty() ? v.title : v.body, snippet_length));
  }
  return h;
}

Result<ArticleView> Searcher::Article(const std::string& id) const {
  const std::string term = s::IdTerm(id);
  Xapian::PostingIterator p = db_.postlist_begin(term);
  if (p == db_.postlist_end(term)) return Status::NotFound("no article with id \"" + id + "\"");
  Xapian::Document doc = db_.get_document(*p);
  Result<const StoredCodec*> codec = Codec();
  if (!codec.ok()) return codec.status();
  Result<std::string> json = StoredArticle(**codec, doc);
  if (!json.ok()) return Status::Corruption(state_.opt.db_dir + ": " + json.status().message());
  ArticleView v;
  v.json = std::move(*json);
  std::string group = doc.get_value(s::kSlotDupGroup);
  if (!group.empty()) {
    Xapian::Enquire enq(db_);
    enq.set_query(Xapian::Query(s::DupGroupTerm(group)));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::MSet m = enq.get_mset(0, 100);
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
      if (*it == *p) continue;
      std::string dup = ArticleIdOf(it.get_document());
      if (!dup.empty()) v.duplicates.push_back(std::move(dup));
    }
  }
  return v;
}

}  // namespace tongwen
