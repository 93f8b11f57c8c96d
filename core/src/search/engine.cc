#include "tongwen/engine.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

#include "positions/position_store.h"
#include "query/expansion.h"
#include "query/query_builder.h"
#include "query/weighted_terms.h"
#include "schema/schema.h"
#include "schema/terms.h"
#include "schema/weighting.h"
#include "search/phrase_decider.h"
#include "search/snippet.h"
#include "store/stored_article.h"
#include "store/stored_json.h"

#include "tongwen/analysis.h"
#include "tongwen/article.h"
#include "tongwen/lexicon.h"
#include "tongwen/query.h"

namespace tongwen {

namespace s = schema;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<uint64_t> g_engine_ids{1};

std::string StubSignature(const std::string& dir) {
  struct stat st;
  std::string p = dir + "/XAPIANDB";
  if (::stat(p.c_str(), &st) != 0) return {};
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_size);
}

std::string DateValue(const std::string& ymd) {  // YYYY-MM-DD -> YYYYMMDD
  return ymd.substr(0, 4) + ymd.substr(5, 2) + ymd.substr(8, 2);
}

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

// Facets: the matches' docids are collected during the match (nothing is
// read there) and counted against ValueColumns, each facet slot's values
// held per docid in memory (as Lucene's doc values): a few array reads per
// match. query_bench --facets on the 100k bulk corpus: p50 6.1 ms with
// Xapian's ValueCountMatchSpy (a value read through each match's Document,
// counted in a std::map), 5.5 ms walking the value streams per search,
// 2.6 ms with these columns (whose building adds ~46 ms to the first
// faceted search of a revision).
class DocidCollector : public Xapian::MatchSpy {
 public:
  explicit DocidCollector(std::vector<Xapian::docid>* out) : out_(out) {}
  void operator()(const Xapian::Document& doc, double) override { out_->push_back(doc.get_docid()); }

 private:
  std::vector<Xapian::docid>* out_;
};

// The facets a search may ask for, and their value slots; ValueColumns
// holds them in this order.
struct FacetDef {
  std::string_view name;
  Xapian::valueno slot;
};
constexpr FacetDef kFacets[] = {{"source", s::kSlotSource},
                                {"section", s::kSlotSection},
                                {"year", s::kSlotYear},
                                {"language", s::kSlotLanguages}};

// The index of a facet in kFacets, or -1 if there is none of that name.
int FacetIndex(std::string_view name) {
  for (size_t i = 0; i < std::size(kFacets); ++i)
    if (kFacets[i].name == name) return static_cast<int>(i);
  return -1;
}

// Value slots held per docid in memory for one database revision (as
// Lucene's doc values): the facet slots and the publication date. Built from
// the value streams by the first search of a revision that needs them; 28
// bytes per document.
struct ValueColumns {
  std::string key;  // database uuid and revision
  // Per facet (kFacets order): the distinct values, and per docid the
  // 1-based index of its value (0 = none).
  std::vector<std::vector<std::string>> values;
  std::vector<std::vector<uint32_t>> ids;
  // Per docid the date as the number YYYYMMDD (0 = none or not an article),
  // and as days since 1970-01-01 (meaningful where the date is not 0).
  std::vector<uint32_t> dates;
  std::vector<int32_t> days;
  std::vector<uint32_t> sorted_dates;  // the non-zero dates, ascending (to count a window's articles)
};

std::string RevisionKey(const Xapian::Database& db) {
  return db.get_uuid() + ":" + std::to_string(db.get_revision());
}

std::shared_ptr<const ValueColumns> BuildValueColumns(const Xapian::Database& db) {
  auto c = std::make_shared<ValueColumns>();
  c->key = RevisionKey(db);
  const size_t n = size_t{db.get_lastdocid()} + 1;
  for (const FacetDef& f : kFacets) {
    const Xapian::valueno slot = f.slot;
    std::vector<std::string>& values = c->values.emplace_back();
    std::vector<uint32_t>& ids = c->ids.emplace_back(n, 0);
    std::unordered_map<std::string, uint32_t> index;
    for (Xapian::ValueIterator v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v) {
      const std::string value = *v;
      if (value.empty() || v.get_docid() >= n) continue;
      auto [it, added] = index.emplace(value, static_cast<uint32_t>(values.size() + 1));
      if (added) values.push_back(value);
      ids[v.get_docid()] = it->second;
    }
  }
  c->dates.assign(n, 0);
  for (Xapian::ValueIterator v = db.valuestream_begin(s::kSlotDate); v != db.valuestream_end(s::kSlotDate);
       ++v) {
    const std::string value = *v;  // YYYYMMDD
    if (value.size() != 8 || v.get_docid() >= n) continue;
    uint32_t ymd = 0;
    for (char ch : value) ymd = ymd * 10 + static_cast<uint32_t>(ch - '0');
    c->dates[v.get_docid()] = ymd;
  }
  c->days.assign(n, 0);
  for (size_t d = 0; d < n; ++d) {
    const uint32_t ymd = c->dates[d];
    if (!ymd) continue;
    c->sorted_dates.push_back(ymd);
    c->days[d] = static_cast<int32_t>(DayNumber(static_cast<int>(ymd / 10000), ymd / 100 % 100, ymd % 100));
  }
  std::sort(c->sorted_dates.begin(), c->sorted_dates.end());
  return c;
}

// Sort key for sort=date and -date: the date from the in-memory column, 4
// bytes big-endian (empty for an undated article, which sorts first), so a
// date-sorted search reads no stored value per match (it did: 16% of a
// date-sorted plain search).
class DateKey : public Xapian::KeyMaker {
 public:
  explicit DateKey(std::shared_ptr<const ValueColumns> columns) : columns_(std::move(columns)) {}
  std::string operator()(const Xapian::Document& doc) const override {
    const Xapian::docid d = doc.get_docid();
    const uint32_t ymd = d < columns_->dates.size() ? columns_->dates[d] : 0;
    if (!ymd) return std::string();
    const char key[4] = {static_cast<char>(ymd >> 24), static_cast<char>(ymd >> 16),
                         static_cast<char>(ymd >> 8), static_cast<char>(ymd)};
    return std::string(key, 4);
  }

 private:
  std::shared_ptr<const ValueColumns> columns_;
};

// A posting list over the in-memory date column: the articles dated lo..hi
// (inclusive, YYYYMMDD numbers; undated articles never match). Xapian's value
// ranges and value-stream sources advance by reading and comparing the stored
// value of every article they pass: with a date filter that leaves few
// matches, a search spent two thirds of its time there (7.3 ms for "care
// charge", one source, a 3-month window, on the 100k bulk corpus; 2.8 ms with
// this). Here next, skip_to and check are array reads. As such it is a filter
// (weight 0); RecencySource adds a weight.
class DateWindowSource : public Xapian::PostingSource {
 public:
  DateWindowSource(std::shared_ptr<const ValueColumns> columns, uint32_t lo, uint32_t hi)
      : columns_(std::move(columns)), lo_(std::max<uint32_t>(lo, 1)), hi_(hi) {}
  void init(const Xapian::Database&) override {
    did_ = 0;
    count_ = 0;
    // The window's article count, for Xapian's estimates: two binary
    // searches (counting the column was 1% of a search mix's time).
    const std::vector<uint32_t>& sorted = columns_->sorted_dates;
    count_ = static_cast<Xapian::doccount>(std::upper_bound(sorted.begin(), sorted.end(), hi_) -
                                           std::lower_bound(sorted.begin(), sorted.end(), lo_));
  }
  Xapian::doccount get_termfreq_min() const override { return count_; }
  Xapian::doccount get_termfreq_est() const override { return count_; }
  Xapian::doccount get_termfreq_max() const override { return count_; }
  void next(double) override { Advance(did_ + 1); }
  void skip_to(Xapian::docid did, double) override {
    if (did > did_) Advance(did);
  }
  bool check(Xapian::docid did, double) override {
    if (did <= did_) return true;  // positioned at or past it already
    did_ = did;                    // if not in the window: "indeterminate", next() goes on from here
    return did < columns_->dates.size() && In(columns_->dates[did]);
  }
  bool at_end() const override { return did_ >= columns_->dates.size(); }
  Xapian::docid get_docid() const override { return did_; }
  double get_weight() const override { return 0; }
  DateWindowSource* clone() const override { return new DateWindowSource(columns_, lo_, hi_); }
  std::string name() const override { return "tongwen::DateWindowSource"; }

 protected:
  const std::shared_ptr<const ValueColumns> columns_;
  Xapian::docid did_ = 0;

 private:
  bool In(uint32_t ymd) const { return ymd >= lo_ && ymd <= hi_; }
  void Advance(Xapian::docid from) {
    const std::vector<uint32_t>& d = columns_->dates;
    Xapian::docid i = from;
    while (i < d.size() && !In(d[i])) ++i;
    did_ = i;
  }

  const uint32_t lo_, hi_;
  Xapian::doccount count_ = 0;
};

// Adds a recency bonus to every dated article: weight = scale * 0.5^(age /
// half_life), where age is measured from `newest_day`.
class RecencySource : public DateWindowSource {
 public:
  RecencySource(std::shared_ptr<const ValueColumns> columns, double newest_day, double half_life,
                double scale)
      : DateWindowSource(std::move(columns), 1, UINT32_MAX),
        newest_(newest_day),
        half_life_(half_life),
        scale_(scale) {
    set_maxweight(scale);
  }
  double get_weight() const override {
    const double age = std::max(0.0, newest_ - columns_->days[did_]);
    return scale_ * std::pow(0.5, age / half_life_);
  }
  RecencySource* clone() const override { return new RecencySource(columns_, newest_, half_life_, scale_); }
  std::string name() const override { return "tongwen::RecencySource"; }

 private:
  double newest_, half_life_, scale_;
};

// YYYY-MM-DD -> the number YYYYMMDD.
uint32_t DateNumber(const std::string& ymd) { return static_cast<uint32_t>(std::stoul(DateValue(ymd))); }

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

}  // namespace

struct Engine::Impl {
  EngineOptions opt;
  uint64_t id;
  Analyzer analyzer;
  mutable std::mutex columns_mu;
  // The columns of the last two revisions asked for: after an update the
  // workers reopen one by one (within reopen_interval_ms), and for that
  // while some search the old revision and some the new one.
  mutable std::shared_ptr<const ValueColumns> value_columns[2];

  // Value columns (facets, dates) for the revision `db` is at: built once per
  // revision, shared by every thread.
  std::shared_ptr<const ValueColumns> Columns(const Xapian::Database& db) const {
    const std::string key = RevisionKey(db);
    std::lock_guard<std::mutex> lk(columns_mu);
    for (const auto& c : value_columns)
      if (c && c->key == key) return c;
    value_columns[1] = std::move(value_columns[0]);
    value_columns[0] = BuildValueColumns(db);
    return value_columns[0];
  }

  // Term frequency caches (expansion.h) of the last two revisions related
  // articles were asked for (two, as for the columns).
  mutable std::mutex freqs_mu;
  mutable std::shared_ptr<TermFreqCache> term_freqs[2];

  std::shared_ptr<TermFreqCache> TermFreqs(const Xapian::Database& db) const {
    const std::string key = RevisionKey(db);
    std::lock_guard<std::mutex> lk(freqs_mu);
    for (const auto& c : term_freqs)
      if (c && c->key() == key) return c;
    term_freqs[1] = std::move(term_freqs[0]);
    term_freqs[0] = std::make_shared<TermFreqCache>(key);
    return term_freqs[0];
  }

  // Position streams (positions/position_store.h) of one revision, loaded on the first phrase
  // that revision is searched for; one store only (179 MB for the 100k bulk
  // corpus), not two as for the columns. Revisions are ordered by when a
  // thread first opened them: a worker still at an older revision than the
  // store's gets none, and its phrases read the database until it reopens.
  mutable std::mutex positions_mu;
  mutable std::unordered_map<std::string, uint64_t> opened;  // revision key -> order first opened
  mutable uint64_t opened_count = 0;
  mutable PositionStorePtr positions;
  mutable uint64_t positions_order = 0;
  mutable bool positions_loading = false;

  void NoteOpened(const Xapian::Database& db) const {
    std::string key = RevisionKey(db);
    std::lock_guard<std::mutex> lk(positions_mu);
    if (opened.size() >= 256) {  // forget old revisions (they then get no store)
      for (auto it = opened.begin(); it != opened.end();)
        it = it->second < opened_count ? opened.erase(it) : ++it;
    }
    opened.emplace(std::move(key), ++opened_count);
  }

  // The store is loaded outside the lock (~0.2 s for 100k articles): every
  // worker takes the lock when it reopens (NoteOpened), and phrases that
  // come during the load read the database meanwhile.
  PositionStorePtr Positions(const Xapian::Database& db) const {
    const std::string key = RevisionKey(db);
    std::unique_lock<std::mutex> lk(positions_mu);
    auto it = opened.find(key);
    if (!opt.positions_in_memory || it == opened.end() || (positions && it->second < positions_order))
      return nullptr;
    const uint64_t order = it->second;
    if (positions && order == positions_order) return positions;
    if (positions_loading) return nullptr;
    positions_loading = true;
    positions = nullptr;  // free the old store before loading the new one
    lk.unlock();
    PositionStorePtr loaded;
    try {
      loaded = PositionStore::Load(db);
    } catch (...) {
      lk.lock();
      positions_loading = false;
      throw;
    }
    lk.lock();
    positions_loading = false;
    if (!positions || order > positions_order) {
      positions = loaded;
      positions_order = order;
    }
    return loaded;
  }

  explicit Impl(const EngineOptions& o) : opt(o), id(g_engine_ids++), analyzer(o.lexicon) {}

  struct Handle {
    Xapian::Database db;
    std::string sig;
    Clock::time_point checked;
    bool open = false;
  };

  // This thread's database handle, reopened when the data changed.
  Result<Handle*> Get() const {
    thread_local std::unordered_map<uint64_t, Handle> handles;
    Handle& h = handles[id];
    auto now = Clock::now();
    if (h.open && now - h.checked < std::chrono::milliseconds(opt.reopen_interval_ms)) return &h;
    h.checked = now;
    try {
      std::string sig = StubSignature(opt.db_dir);
      if (sig.empty()) return Status::Unavailable(opt.db_dir + ": no database (run `indexer rebuild`)");
      if (!h.open || sig != h.sig) {
        Xapian::Database db(opt.db_dir);
        std::string schema = db.get_metadata(std::string(s::kMetaSchema));
        if (schema != s::kSchemaVersion)
          return Status::InvalidArgument("database schema \"" + schema + "\" is not \"" +
                                             std::string(s::kSchemaVersion) + "\"; run `indexer rebuild`",
                                         opt.db_dir);
        h.db = db;
        h.sig = sig;
        h.open = true;
      } else {
        h.db.reopen();
      }
      NoteOpened(h.db);
    } catch (const Xapian::Error& e) {
      if (h.open) return &h;  // keep serving the old data
      return Status::IOError(opt.db_dir + ": " + e.get_description());
    }
    return &h;
  }

  // This thread's codec of the stored articles of `db` (its dictionary),
  // read again when the database is another one (a rebuild).
  Result<const StoredCodec*> Stored(const Xapian::Database& db) const {
    struct Entry {
      std::string uuid;
      std::shared_ptr<const StoredCodec> codec;
    };
    thread_local std::unordered_map<uint64_t, Entry> codecs;
    Entry& e = codecs[id];
    std::string uuid = db.get_uuid();
    if (!e.codec || e.uuid != uuid) {
      Result<std::shared_ptr<const StoredCodec>> c = StoredCodec::ForDatabase(db);
      if (!c.ok()) return Status::Corruption(opt.db_dir + ": " + c.status().message());
      e.codec = *c;
      e.uuid = std::move(uuid);
    }
    return e.codec.get();
  }

  // This thread's translation memo for this engine, made fresh for `db`.
  TranslationMemo& Memo(const Xapian::Database& db) const {
    thread_local std::unordered_map<uint64_t, TranslationMemo> memos;
    TranslationMemo& m = memos[id];
    m.Refresh(db);
    return m;
  }

  template <typename F>
  auto WithDb(F&& f) const -> decltype(f(std::declval<Xapian::Database&>())) {
    Result<Handle*> h = Get();
    if (!h.ok()) return h.status();
    for (int attempt = 0;; ++attempt) {
      try {
        return f((*h)->db);
      } catch (const Xapian::DatabaseModifiedError&) {
        if (attempt > 0) return Status::Unavailable("database changed during the request; retry");
        try {
          (*h)->db.reopen();
          NoteOpened((*h)->db);
        } catch (const Xapian::Error& e) {
          return Status::IOError(e.get_description());
        }
      } catch (const Xapian::Error& e) {
        return Status::Internal(e.get_type() + std::string(": ") + e.get_msg());
      } catch (const std::exception& e) {
        return Status::Internal(e.what());
      }
    }
  }

  Xapian::Query Filters(const Xapian::Database& db, const SearchRequest& r) const {
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
      auto* window = new DateWindowSource(Columns(db), r.from.empty() ? 0 : DateNumber(r.from),
                                          r.to.empty() ? UINT32_MAX : DateNumber(r.to));
      f.emplace_back(window->release());
    }
    if (f.empty()) return Xapian::Query();
    return Xapian::Query(Xapian::Query::OP_AND, f.begin(), f.end());
  }

  // Fills a hit from a match; `snippeter` (the search's terms) highlights.
  // A hit whose stored article cannot be read has only its docid and score.
  Hit MakeHit(const StoredCodec& codec, const Xapian::MSetIterator& m, const Snippeter& snippeter,
              size_t snippet_length) const {
    Hit h;
    h.docid = *m;
    Xapian::Document doc = m.get_document();
    h.score = std::round(m.get_weight() * 1000) / 1000;
    StoredHitFields f;
    Result<std::string> json = StoredArticle(codec, doc);
    if (json.ok() && ReadStoredHitFields(*json, &f)) {
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
    }
    return h;
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;
const EngineOptions& Engine::options() const { return impl_->opt; }

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& opt) {
  auto impl = std::make_unique<Impl>(opt);
  Result<Impl::Handle*> h = impl->Get();
  if (!h.ok()) return h.status();
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

uint64_t Engine::PositionMemoryBytes() const {
  std::lock_guard<std::mutex> lk(impl_->positions_mu);
  return impl_->positions ? impl_->positions->memory_bytes() : 0;
}

uint64_t Engine::DocCount() const {
  Result<uint64_t> n =
      impl_->WithDb([](Xapian::Database& db) -> Result<uint64_t> { return uint64_t{db.get_doccount()}; });
  return n.ok() ? *n : 0;
}

Status ValidateRequest(const SearchRequest& r, const EngineOptions& opt) {
  if (r.limit > 100) return Status::InvalidArgument("must be at most 100", "limit");
  if (r.offset + r.limit > opt.max_offset)
    return Status::InvalidArgument(
        "offset + limit must be at most " + std::to_string(opt.max_offset) + " (deep paging is capped)",
        "offset");
  if (!r.from.empty() && !IsValidDate(r.from)) return Status::InvalidArgument("must be YYYY-MM-DD", "from");
  if (!r.to.empty() && !IsValidDate(r.to)) return Status::InvalidArgument("must be YYYY-MM-DD", "to");
  if (!r.from.empty() && !r.to.empty() && r.from > r.to)
    return Status::InvalidArgument("must not be after 'to'", "from");
  if (!r.lang.empty() && r.lang != "en" && r.lang != "zh")
    return Status::InvalidArgument("must be en or zh", "lang");
  if (!r.original.empty() && r.original != "en" && r.original != "zh")
    return Status::InvalidArgument("must be en or zh", "original");
  if (r.lang_hint != "auto" && r.lang_hint != "en" && r.lang_hint != "zh")
    return Status::InvalidArgument("must be en, zh or auto", "lang");
  if (r.recency < 0 || r.recency > 36500)
    return Status::InvalidArgument("must be between 0 and 36500 days", "recency");
  if (r.sources.size() > kMaxFilterValues)
    return Status::InvalidArgument("at most " + std::to_string(kMaxFilterValues) + " values", "source");
  for (const std::string& f : r.facets)
    if (FacetIndex(f) < 0) {
      std::string known;
      for (const FacetDef& d : kFacets) known += (known.empty() ? "" : ", ") + std::string(d.name);
      return Status::InvalidArgument("unknown facet '" + f + "' (" + known + ")", "facets");
    }
  if (r.snippet_length < 20 || r.snippet_length > 1000)
    return Status::InvalidArgument("must be between 20 and 1000", "snippet_length");
  return Status::Ok();
}

Result<SearchResponse> Engine::Search(const SearchRequest& req) const {
  const auto t0 = Clock::now();
  Status v = ValidateRequest(req, impl_->opt);
  if (!v.ok()) return v;
  return impl_->WithDb([&](Xapian::Database& db) -> Result<SearchResponse> {
    SearchResponse resp;
    Result<const StoredCodec*> codec = impl_->Stored(db);
    if (!codec.ok()) return codec.status();
    ParsedQuery pq = ParseQuery(req.q, impl_->opt.max_query_bytes);
    QueryBuilder qb(db, impl_->analyzer, impl_->opt.lexicon, impl_->opt, &impl_->Memo(db),
                    [&] { return impl_->Positions(db); });
    BuiltQuery bq = qb.Build(pq, req);
    const bool all_mode = req.mode == SearchRequest::Mode::kAll;
    Xapian::Query primary = bq.empty ? Xapian::Query::MatchAll : (all_mode ? bq.all : bq.any);
    Xapian::Query filter = impl_->Filters(db, req);
    auto filtered = [&](Xapian::Query q) {
      if (req.recency > 0 && req.sort == SearchRequest::Sort::kRelevance) {
        std::string hi = db.get_value_upper_bound(s::kSlotDayNumber);
        if (!hi.empty()) {
          // The bonus is comparable to a good BM25 match (~ a few points).
          auto* src =
              new RecencySource(impl_->Columns(db), Xapian::sortable_unserialise(hi), req.recency, 2.0);
          q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, Xapian::Query(src->release()));
        }
      }
      return filter.empty() ? q : Xapian::Query(Xapian::Query::OP_FILTER, q, filter);
    };
    Xapian::Enquire enq(db);
    enq.set_weighting_scheme(PrenormalizedBM25());
    if (impl_->opt.query_time_limit_ms) enq.set_time_limit(impl_->opt.query_time_limit_ms / 1000.0);
    // By date: sort=date (oldest first), sort=-date and an empty query
    // (newest first). The key maker outlives both Enquires.
    std::unique_ptr<DateKey> date_key;
    if (req.sort != SearchRequest::Sort::kRelevance || bq.empty) {
      date_key = std::make_unique<DateKey>(impl_->Columns(db));
      enq.set_sort_by_key_then_relevance(date_key.get(), req.sort != SearchRequest::Sort::kDate);
    }
    if (req.collapse_duplicates) enq.set_collapse_key(s::kSlotDupGroup);
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
    const auto exact_total = static_cast<Xapian::doccount>(impl_->opt.exact_total);
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
      // instead costs about the same: query_bench --facets on the 100k bulk
      // corpus, mean 1.93-2.02 ms this way, 2.01-2.05 ms that way.)
      facet_docs.clear();
      Xapian::Enquire fenq(db);
      fenq.set_weighting_scheme(Xapian::BoolWeight());
      fenq.set_docid_order(Xapian::Enquire::DONT_CARE);
      if (impl_->opt.query_time_limit_ms) fenq.set_time_limit(impl_->opt.query_time_limit_ms / 1000.0);
      if (req.collapse_duplicates) fenq.set_collapse_key(s::kSlotDupGroup);
      fenq.add_matchspy(&collector);
      fenq.set_query(filtered(searched));
      PhraseDecider count_decider(checked ? bq.phrase_checks : std::vector<PhraseCheck>{});
      Xapian::MSet all = fenq.get_mset(0, 0, db.get_doccount(), nullptr, checked ? &count_decider : nullptr);
      resp.total_exact = all.get_matches_lower_bound() == all.get_matches_upper_bound();
      resp.total = all.get_matches_lower_bound();
      resp.total_estimate = all.get_matches_estimated();
    }
    const Snippeter snippeter(impl_->analyzer, bq.highlight_terms);
    for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m)
      resp.hits.push_back(impl_->MakeHit(**codec, m, snippeter, req.snippet_length));
    // Relaxation: when the query matches fewer than a page, append matches
    // of the relaxed query (any word, phrases as words) after them, as
    // Meilisearch's "last" matching strategy does.
    if (!bq.empty && mset.get_matches_upper_bound() < want &&
        bq.relaxed.get_description() != primary.get_description()) {
      const Xapian::doccount n_all = mset.get_matches_upper_bound();
      Xapian::Enquire enq2(db);
      enq2.set_weighting_scheme(PrenormalizedBM25());
      if (impl_->opt.query_time_limit_ms) enq2.set_time_limit(impl_->opt.query_time_limit_ms / 1000.0);
      if (date_key)
        enq2.set_sort_by_key_then_relevance(date_key.get(), req.sort != SearchRequest::Sort::kDate);
      if (req.collapse_duplicates) enq2.set_collapse_key(s::kSlotDupGroup);
      // Facets count the appended matches too, so they add up to `total`.
      if (faceted) enq2.add_matchspy(&collector);
      // Exclude the all-words matches, which already lead the list.
      enq2.set_query(Xapian::Query(Xapian::Query::OP_AND_NOT, filtered(bq.relaxed), filtered(primary)));
      const size_t skip = req.offset > n_all ? req.offset - n_all : 0;
      const size_t take = req.limit - std::min<size_t>(req.limit, resp.hits.size());
      Xapian::MSet m2 = enq2.get_mset(static_cast<Xapian::doccount>(skip),
                                      static_cast<Xapian::doccount>(take), faceted ? db.get_doccount() : 0);
      // AND_NOT already excludes the first list; checking the docids as well
      // keeps a hit from ever appearing twice, even if a time limit cut one
      // of the two matches short.
      std::unordered_set<Xapian::docid> shown;
      for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m) shown.insert(*m);
      for (Xapian::MSetIterator m = m2.begin(); m != m2.end(); ++m)
        if (!shown.count(*m)) {
          resp.hits.push_back(impl_->MakeHit(**codec, m, snippeter, req.snippet_length));
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
    SetMatchedVia(db, bq, &resp.hits);
    std::shared_ptr<const ValueColumns> columns = faceted ? impl_->Columns(db) : nullptr;
    for (const std::string& name : req.facets) {
      std::vector<FacetValue>& out = resp.facets[name];
      const auto col = static_cast<size_t>(FacetIndex(name));
      const std::vector<uint32_t>& ids = columns->ids[col];
      const std::vector<std::string>& values = columns->values[col];
      std::vector<uint64_t> counts(values.size() + 1, 0);
      for (Xapian::docid d : facet_docs)
        if (d < ids.size()) ++counts[ids[d]];
      for (size_t i = 1; i < counts.size(); ++i) {
        if (!counts[i]) continue;
        const std::string& v = values[i - 1];
        const uint64_t n = counts[i];
        if (name != "language") {
          out.push_back(FacetValue{v, n});
          continue;
        }
        // "en,zh" counts for both.
        size_t p = 0;
        while (p <= v.size()) {
          size_t q = v.find(',', p);
          if (q == std::string::npos) q = v.size();
          std::string one = v.substr(p, q - p);
          auto it = std::find_if(out.begin(), out.end(), [&](const FacetValue& f) { return f.value == one; });
          if (it == out.end())
            out.push_back(FacetValue{one, n});
          else
            it->count += n;
          p = q + 1;
        }
      }
      // Most frequent first; equal counts by value, so the order is stable.
      std::sort(out.begin(), out.end(), [](const FacetValue& a, const FacetValue& b) {
        return a.count != b.count ? a.count > b.count : a.value < b.value;
      });
      if (out.size() > 50) out.resize(50);
    }
    if (resp.total_exact || resp.total_estimate < resp.total) resp.total_estimate = resp.total;
    resp.query = std::move(bq.info);
    resp.took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return resp;
  });
}

Result<ArticleView> Engine::GetArticle(const std::string& id) const {
  return impl_->WithDb([&](Xapian::Database& db) -> Result<ArticleView> {
    const std::string term = s::IdTerm(id);
    Xapian::PostingIterator p = db.postlist_begin(term);
    if (p == db.postlist_end(term)) return Status::NotFound("no article with id \"" + id + "\"");
    Xapian::Document doc = db.get_document(*p);
    Result<const StoredCodec*> codec = impl_->Stored(db);
    if (!codec.ok()) return codec.status();
    Result<std::string> json = StoredArticle(**codec, doc);
    if (!json.ok()) return Status::Corruption(impl_->opt.db_dir + ": " + json.status().message());
    ArticleView v;
    v.json = std::move(*json);
    std::string group = doc.get_value(s::kSlotDupGroup);
    if (!group.empty()) {
      Xapian::Enquire enq(db);
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
  });
}

namespace {
constexpr Xapian::termcount kRelatedTerms = 20;

// Keeps text terms (stems, Han words) for "more like this"; drops boolean
// terms, bigrams, pinyin and very short or numeric stems.
class TextTermDecider : public Xapian::ExpandDecider {
 public:
  bool operator()(const std::string& t) const override {
    if (s::IsStemTerm(t)) {
      const std::string_view stem = s::StemOf(t);
      return stem.size() >= 3 &&
             !std::all_of(stem.begin(), stem.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    }
    if (s::IsHanWordTerm(t)) return DecodeUtf8(t).size() >= 2 && !IsChineseStopWord(t);
    return false;
  }
};
}  // namespace

Result<SearchResponse> Engine::Related(const std::string& id, size_t limit, const std::string& before,
                                       size_t snippet_length) const {
  const auto t0 = Clock::now();
  if (limit > 100) return Status::InvalidArgument("must be at most 100", "limit");
  if (!before.empty() && !IsValidDate(before)) return Status::InvalidArgument("must be YYYY-MM-DD", "before");
  return impl_->WithDb([&](Xapian::Database& db) -> Result<SearchResponse> {
    const std::string idterm = s::IdTerm(id);
    Xapian::PostingIterator p = db.postlist_begin(idterm);
    if (p == db.postlist_end(idterm)) return Status::NotFound("no article with id \"" + id + "\"");
    const Xapian::docid self = *p;
    Result<const StoredCodec*> codec = impl_->Stored(db);
    if (!codec.ok()) return codec.status();
    Xapian::Enquire enq(db);
    TextTermDecider decider;
    // The article's 20 best expansion terms (Lucene's and Elasticsearch's
    // more-like-this take 25). The match cost about 60 us per term on the
    // 100k bulk corpus (with Xapian's OR, before WeightedTermsSource), and
    // bench/related-quality finds the other-language
    // version of a story as well with 20 as with 30 (MRR@10 en->zh 0.983
    // against 0.975, zh->en 0.963 against 0.958, measured before the
    // weighting of weighting.h).
    // The terms are those of Enquire::get_eset with SetExpansionScheme;
    // ExpandDocument reads their frequencies from a per-revision cache.
    const std::vector<ExpandedTerm> eset =
        ExpandDocument(db, self, kRelatedTerms, decider, impl_->TermFreqs(db).get());
    const Xapian::Document self_doc = db.get_document(self);
    const bool bilingual = self_doc.get_value(s::kSlotLanguages) == "en,zh";
    // Each expansion term, and each translation of one, goes to its script
    // side (schema::IsHanSideTerm): an article is as related as its better
    // side, as in Search (issue 14), so a bilingual article does not add up
    // a match in each language.
    struct Side {
      std::vector<Xapian::Query> parts;
      std::vector<WeightedTermsSource::Term> terms;
    } latin, han;
    std::unordered_set<std::string> hl;
    SearchResponse resp;
    QueryBuilder qb(db, impl_->analyzer, impl_->opt.lexicon, impl_->opt, &impl_->Memo(db));  // no phrases
    for (const ExpandedTerm& e : eset) {
      const std::string& t = e.term;
      const double w = e.weight;
      const bool stem = s::IsStemTerm(t);
      (stem ? latin : han).terms.push_back(WeightedTermsSource::Term{t, w});
      hl.insert(t);
      QueryWord qw{stem ? std::string(s::StemOf(t)) : t, stem ? "en" : "zh", {}, false, {}};
      // Expand into the other language through the dictionary, so coverage
      // that exists only in the other language is found. An article with
      // versions in both languages has expansion terms in both already.
      if (impl_->opt.lexicon && !bilingual && resp.query.words.size() < 15) {
        SynonymBuilder alts;
        if (stem) {
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
              .parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, alts.Build(),
                                  w * impl_->opt.translation_weight);
      }
      resp.query.words.push_back(std::move(qw));
    }
    resp.query.mode = "related";
    resp.query.cross = impl_->opt.lexicon != nullptr;
    resp.query.translation_weight = impl_->opt.translation_weight;
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
    Xapian::Query q(Xapian::Query::OP_MAX, sides.begin(), sides.end());
    q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, Xapian::Query(idterm));
    if (!before.empty()) {  // strictly before the date
      auto* window = new DateWindowSource(impl_->Columns(db), 1, DateNumber(before) - 1);
      q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(window->release()));
    }
    // Hide the article's own near-duplicates (same story, other outlet).
    std::string group = self_doc.get_value(s::kSlotDupGroup);
    if (!group.empty())
      q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, Xapian::Query(s::DupGroupTerm(group)));
    enq.set_query(q);
    enq.set_weighting_scheme(PrenormalizedBM25());
    if (impl_->opt.query_time_limit_ms) enq.set_time_limit(impl_->opt.query_time_limit_ms / 1000.0);
    Xapian::MSet m = enq.get_mset(0, static_cast<Xapian::doccount>(limit));
    resp.total = m.get_matches_lower_bound();
    resp.total_exact = m.get_matches_lower_bound() == m.get_matches_upper_bound();
    resp.total_estimate =
        resp.total_exact ? resp.total : std::max<uint64_t>(resp.total, m.get_matches_estimated());
    const Snippeter snippeter(impl_->analyzer, hl);
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
      resp.hits.push_back(impl_->MakeHit(**codec, it, snippeter, snippet_length));
    resp.took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return resp;
  });
}

Result<IndexStats> Engine::Stats() const { return tongwen::Stats(impl_->opt.db_dir); }

}  // namespace tongwen
