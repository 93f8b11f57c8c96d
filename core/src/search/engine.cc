// The engine facade: opens the database, keeps each thread's handle on it,
// validates requests and runs them on a Searcher (search/searcher.h).
#include "tongwen/engine.h"

#include <sys/stat.h>

#include <chrono>
#include <string>
#include <unordered_map>

#include <xapian.h>

#include "schema/schema.h"
#include "search/revision_cache.h"
#include "search/did_you_mean.h"
#include "search/searcher.h"
#include "search/value_columns.h"
#include "store/db_layout.h"

#include "tongwen/article.h"

namespace tongwen {

namespace s = schema;
using Clock = std::chrono::steady_clock;

namespace {

std::string StubSignature(const std::string& dir) {
  struct stat st;
  std::string p = dir + "/" + layout::kStubName;
  if (::stat(p.c_str(), &st) != 0) return {};
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_size);
}

// The checks Search and Related share.
Status ValidateLimit(size_t limit) {
  if (limit > kMaxLimit)
    return Status::InvalidArgument("must be at most " + std::to_string(kMaxLimit), "limit");
  return Status::Ok();
}
Status ValidateSnippetLength(size_t n) {
  if (n < kMinSnippetLength || n > kMaxSnippetLength)
    return Status::InvalidArgument(
        "must be between " + std::to_string(kMinSnippetLength) + " and " + std::to_string(kMaxSnippetLength),
        "snippet_length");
  return Status::Ok();
}

}  // namespace

struct Engine::Impl {
  explicit Impl(const EngineOptions& o) : state(o) {}

  EngineState state;

  struct Handle {
    Xapian::Database db;
    std::string sig;
    Clock::time_point checked;
    bool open = false;
  };

  // Closes a handle that failed: Xapian opens some tables only when they
  // are first read, and a table that failed to open (EMFILE) then reads as
  // empty, so a handle that threw is never used again. The next request
  // opens a new one (issue 28).
  static void Discard(Handle& h) {
    h.db = Xapian::Database();
    h.sig.clear();
    h.open = false;
  }

  // This thread's database handle, reopened when the data changed.
  Result<Handle*> Get() const {
    thread_local std::unordered_map<uint64_t, Handle> handles;
    Handle& h = handles[state.id];
    auto now = Clock::now();
    if (h.open && now - h.checked < std::chrono::milliseconds(state.opt.reopen_interval_ms)) return &h;
    h.checked = now;
    std::string sig = StubSignature(state.opt.db_dir);
    if (sig.empty()) return Status::Unavailable(state.opt.db_dir + ": no database (run `indexer rebuild`)");
    if (!h.open || sig != h.sig) {
      try {
        Xapian::Database db(state.opt.db_dir);
        std::string schema = db.get_metadata(std::string(s::kMetaSchema));
        if (schema != s::kSchemaVersion)
          return Status::InvalidArgument("database schema \"" + schema + "\" is not \"" +
                                             std::string(s::kSchemaVersion) + "\"; run `indexer rebuild`",
                                         state.opt.db_dir);
        state.positions.NoteOpened(db);
        h.db = db;
        h.sig = sig;
        h.open = true;
      } catch (const Xapian::Error& e) {
        // The new database could not be opened; the old handle, if any, is
        // untouched and keeps serving the old data.
        if (h.open) return &h;
        return Status::Unavailable(state.opt.db_dir + ": " + e.get_description());
      }
      return &h;
    }
    try {
      h.db.reopen();
      state.positions.NoteOpened(h.db);
    } catch (const Xapian::Error& e) {
      Discard(h);
      return Status::Unavailable(state.opt.db_dir + ": " + e.get_description());
    }
    return &h;
  }

  // Runs f once on a Searcher over `h`. Xapian errors become a Status; a
  // database modified during the request is reopened and f run once more.
  template <typename F>
  auto RunOn(Handle& h, F&& f) const -> decltype(f(std::declval<const Searcher&>())) {
    for (int attempt = 0;; ++attempt) {
      try {
        const Searcher searcher(state, h.db);
        return f(searcher);
      } catch (const Xapian::DatabaseModifiedError&) {
        if (attempt > 0) return Status::Unavailable("database changed during the request; retry");
        try {
          h.db.reopen();
          state.positions.NoteOpened(h.db);
        } catch (const Xapian::Error& e) {
          return Status::Unavailable(e.get_description());
        }
      } catch (const Xapian::DatabaseOpeningError& e) {  // a table could not be opened (EMFILE)
        return Status::Unavailable(e.get_description());
      } catch (const Xapian::Error& e) {
        return Status::Internal(e.get_type() + std::string(": ") + e.get_msg());
      } catch (const std::exception& e) {
        return Status::Internal(e.what());
      }
    }
  }

  // Runs f on a Searcher over this thread's handle. A request that fails
  // other than on what it asked (a bad parameter, an unknown id) discards
  // the handle and runs once more on a new one: a handle left without a
  // table by EMFILE recovers here, on the next request at the latest.
  template <typename F>
  auto WithSearcher(F&& f) const -> decltype(f(std::declval<const Searcher&>())) {
    for (int attempt = 0;; ++attempt) {
      Result<Handle*> h = Get();
      if (!h.ok()) return h.status();
      auto r = RunOn(**h, f);
      const Code code = r.ok() ? Code::kOk : r.status().code();
      if (code == Code::kOk || code == Code::kInvalidArgument || code == Code::kNotFound) return r;
      Discard(**h);
      if (attempt > 0) return r;
    }
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;
const EngineOptions& Engine::options() const { return impl_->state.opt; }

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& opt) {
  auto impl = std::make_unique<Impl>(opt);
  Result<Impl::Handle*> h = impl->Get();
  if (!h.ok()) return h.status();
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

uint64_t Engine::PositionMemoryBytes() const { return impl_->state.positions.memory_bytes(); }

uint64_t Engine::DocCount() const {
  Result<uint64_t> n = impl_->WithSearcher(
      [](const Searcher& s) -> Result<uint64_t> { return uint64_t{s.db().get_doccount()}; });
  return n.ok() ? *n : 0;
}

Status ValidateRequest(const SearchRequest& r, const EngineOptions& opt) {
  if (Status s = ValidateLimit(r.limit); !s.ok()) return s;
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
  return ValidateSnippetLength(r.snippet_length);
}

Result<SearchResponse> Engine::Search(const SearchRequest& req) const {
  const auto t0 = Clock::now();
  Status v = ValidateRequest(req, impl_->state.opt);
  if (!v.ok()) return v;
  Result<SearchResponse> resp = impl_->WithSearcher([&](const Searcher& s) { return SearchWithSpelling(s, req); });
  if (resp.ok()) resp->took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return resp;
}

Result<ArticleView> Engine::GetArticle(const std::string& id) const {
  return impl_->WithSearcher([&](const Searcher& s) { return s.Article(id); });
}

Result<SearchResponse> Engine::Related(const std::string& id, size_t limit, const std::string& before,
                                       size_t snippet_length) const {
  const auto t0 = Clock::now();
  if (Status v = ValidateSnippetLength(snippet_length); !v.ok()) return v;
  if (Status v = ValidateLimit(limit); !v.ok()) return v;
  if (!before.empty() && !IsValidDate(before)) return Status::InvalidArgument("must be YYYY-MM-DD", "before");
  Result<SearchResponse> resp =
      impl_->WithSearcher([&](const Searcher& s) { return s.Related(id, limit, before, snippet_length); });
  if (resp.ok()) resp->took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return resp;
}

namespace {

Status ValidateDraft(const DraftRequest& r) {
  if (r.text.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::InvalidArgument("must not be empty", "text");
  if (r.text.size() > kMaxDraftBytes)
    return Status::InvalidArgument("longer than " + std::to_string(kMaxDraftBytes) + " bytes", "text");
  if (r.title.size() > kMaxDraftBytes)
    return Status::InvalidArgument("longer than " + std::to_string(kMaxDraftBytes) + " bytes", "title");
  if (Status s = ValidateLimit(r.limit); !s.ok()) return s;
  if (!r.before.empty() && !IsValidDate(r.before)) return Status::InvalidArgument("must be YYYY-MM-DD", "before");
  if (!r.lang.empty() && r.lang != "en" && r.lang != "zh") return Status::InvalidArgument("must be en or zh", "lang");
  if (r.sources.size() > kMaxFilterValues)
    return Status::InvalidArgument("at most " + std::to_string(kMaxFilterValues) + " values", "source");
  return ValidateSnippetLength(r.snippet_length);
}

}  // namespace

Result<SearchResponse> Engine::RelatedToText(const DraftRequest& req) const {
  const auto t0 = Clock::now();
  if (Status v = ValidateDraft(req); !v.ok()) return v;
  Result<SearchResponse> resp = impl_->WithSearcher([&](const Searcher& s) { return s.RelatedToText(req); });
  if (resp.ok()) resp->took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return resp;
}

Result<std::string> Engine::RevisionTag() const {
  return impl_->WithSearcher([](const Searcher& s) -> Result<std::string> { return RevisionKey(s.db()); });
}

Result<IndexStats> Engine::Stats() const {
  Result<IndexStats> st = tongwen::Stats(impl_->state.opt.db_dir);
  // To a reader every failure here (no stub, an unreadable database,
  // EMFILE) is the index being unavailable; the detail names paths, for the
  // log only (issue 28).
  if (!st.ok() && st.status().code() != Code::kUnavailable)
    return Status::Unavailable(st.status().ToString());
  return st;
}

}  // namespace tongwen
