// indexer: the operator's command-line tool. Parses arguments and calls the
// core library (tongwen/index.h); renders progress and summaries.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "tongwen/config.h"
#include "tongwen/index.h"
#include "tongwen/lexicon.h"

namespace {

const char* kUsage =
    "usage:\n"
    "  indexer rebuild --db DIR [options] FILE...   build a new database from JSONL and swap it in\n"
    "  indexer upsert  --db DIR [options] FILE...   add or replace articles by id (one transaction)\n"
    "  indexer upsert  --db DIR --follow [options] FILE\n"
    "                                               a feed: read JSONL from FILE (a named pipe, or '-')\n"
    "                                               until its end or SIGTERM/SIGINT, committing as it goes\n"
    "  indexer delete  --db DIR ID...               delete articles by id (one transaction)\n"
    "  indexer stats   --db DIR                     documents, languages, date range, size, and what\n"
    "                                               compact would reclaim (an estimate)\n"
    "  indexer compact --db DIR                     compact the database online (a new generation\n"
    "                                               swapped in; searches go on)\n"
    "  indexer verify  --db DIR                     check the index and the stored articles\n"
    "  indexer compile-dictionary CEDICT OUT.lex    compile CC-CEDICT (text or .gz) to a lexicon\n"
    "FILE may be '-' (stdin) or a .gz file.\n"
    "options:\n"
    "  --max-errors N        fail (leaving the database untouched) after more than N bad lines\n"
    "  --allow-shrink        rebuild: replace the database even if the new one has fewer than\n"
    "                        half its articles (refused by default: an empty or failed input)\n"
    "  --threads N           analysis threads (default: all cores)\n"
    "  --memory MB           indexing memory cap (default 256, at least 64); rebuild\n"
    "                        commits every 512 documents per worker, or fewer if\n"
    "                        MB*16 documents in all is less\n"
    "  --dictionary FILE     CC-CEDICT lexicon (.lex, text or .gz); default: the installed one\n"
    "  --no-dictionary       index without the dictionary\n"
    "  --progress MODE       auto | tty | log | json | none (default auto)\n"
    "  --wait SECONDS        wait up to SECONDS for another writer (a rebuild) to finish instead of\n"
    "                        failing at once (default 0)\n"
    "  --commit-articles N   --follow: commit once N articles wait (default 200)\n"
    "  --commit-ms MS        --follow: commit once the first waiting article has waited MS\n"
    "                        milliseconds (default 1000)\n";

int Usage(const std::string& msg) {
  if (!msg.empty()) std::fprintf(stderr, "indexer: %s\n", msg.c_str());
  std::fputs(kUsage, stderr);
  return 2;
}

std::string Human(double bytes) {
  char b[32];
  if (bytes >= 1e9)
    std::snprintf(b, sizeof b, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1e6)
    std::snprintf(b, sizeof b, "%.1f MB", bytes / 1e6);
  else
    std::snprintf(b, sizeof b, "%.0f KB", bytes / 1e3);
  return b;
}

struct ProgressPrinter {
  std::string mode;  // tty | log | json | none
  double last_log = -1;
  void operator()(const tongwen::Progress& p) {
    if (mode == "none") return;
    const double rate = p.seconds > 0 ? static_cast<double>(p.read) / p.seconds : 0;
    const double mbs = p.seconds > 0 ? static_cast<double>(p.bytes_done) / p.seconds / 1e6 : 0;
    double eta = -1;
    if (p.bytes_total > 0 && p.bytes_done > 0 && p.seconds > 0)
      eta = p.seconds * static_cast<double>(p.bytes_total - std::min(p.bytes_total, p.bytes_done)) /
            static_cast<double>(p.bytes_done);
    if (mode == "json") {
      std::printf(
          "{\"event\":\"progress\",\"read\":%llu,\"indexed\":%llu,\"rejected\":%llu,\"bytes\":%llu,"
          "\"bytes_total\":%llu,\"seconds\":%.2f,\"articles_per_second\":%.1f,\"mb_per_second\":%.2f,"
          "\"eta_seconds\":%.1f,\"phase\":\"%s\",\"final\":%s}\n",
          (unsigned long long)p.read, (unsigned long long)p.indexed, (unsigned long long)p.rejected,
          (unsigned long long)p.bytes_done, (unsigned long long)p.bytes_total, p.seconds, rate, mbs, eta,
          p.phase, p.final ? "true" : "false");
      std::fflush(stdout);
      return;
    }
    // After the input: rebuild's merge or upsert's commit.
    const bool merging = std::strcmp(p.phase, "merging") == 0;
    const bool finishing = merging || std::strcmp(p.phase, "committing") == 0;
    const char* finishing_what = merging ? "merging shards" : "committing";
    char etabuf[32] = "?";
    if (eta >= 0) std::snprintf(etabuf, sizeof etabuf, "%d:%02d", int(eta) / 60, int(eta) % 60);
    char pct[16] = "";
    if (p.bytes_total) std::snprintf(pct, sizeof pct, "%3.0f%% ", 100.0 * p.bytes_done / p.bytes_total);
    if (mode == "tty") {
      const int width = 24;
      int filled = p.bytes_total ? int(width * double(p.bytes_done) / double(p.bytes_total)) : 0;
      std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
      std::fprintf(stderr, "\r%s %s%llu articles  %.0f/s  %.1f MB/s  ETA %s  errors %llu   %s%s", bar.c_str(),
                   pct, (unsigned long long)p.read, rate, mbs, p.final || finishing ? "0:00" : etabuf,
                   (unsigned long long)p.rejected, finishing ? finishing_what : "", p.final ? "\n" : "");
      return;
    }
    if (finishing) {
      std::fprintf(stderr, "indexer: %llu articles read in %.1f s; %s\n", (unsigned long long)p.read,
                   p.seconds, finishing_what);
      return;
    }
    if (p.final || last_log < 0 || p.seconds - last_log >= 5) {
      last_log = p.seconds;
      std::fprintf(
          stderr, "indexer: %s%s / %s, %llu articles, %.0f articles/s, %.1f MB/s, ETA %s, errors %llu\n", pct,
          Human(double(p.bytes_done)).c_str(), p.bytes_total ? Human(double(p.bytes_total)).c_str() : "?",
          (unsigned long long)p.read, rate, mbs, etabuf, (unsigned long long)p.rejected);
    }
  }
};

bool ParseUint(const char* s, uint64_t* out) {
  if (!s || !*s) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno || *end || s[0] == '-') return false;
  *out = v;
  return true;
}

// A JSON string's contents: quotes, backslashes and control characters escaped.
std::string JsonEscape(const std::string& s) {
  std::string esc;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      esc += '\\';
      esc += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char u[8];
      std::snprintf(u, sizeof u, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      esc += u;
    } else {
      esc += c;
    }
  }
  return esc;
}

void PrintReport(const tongwen::IngestReport& r, bool json) {
  if (!json) {
    std::printf("%s\n", r.SummaryLine().c_str());
    return;
  }
  std::printf(
      "{\"event\":\"summary\",\"ok\":%s,\"read\":%llu,\"indexed\":%llu,\"replaced\":%llu,\"deleted\":%llu,"
      "\"not_found\":%llu,\"rejected\":%llu,\"truncated\":%llu,\"not_written\":%llu,\"bytes\":%llu,"
      "\"seconds\":%.3f,",
      r.failed() ? "false" : "true", (unsigned long long)r.read, (unsigned long long)r.indexed,
      (unsigned long long)r.replaced, (unsigned long long)r.deleted, (unsigned long long)r.not_found,
      (unsigned long long)r.rejected, (unsigned long long)r.truncated, (unsigned long long)r.not_written,
      (unsigned long long)r.bytes, r.seconds);
  if (r.failed()) std::printf("\"error\":\"%s\",", JsonEscape(r.failure).c_str());
  std::printf("\"reasons\":{");
  bool first = true;
  for (const auto& [k, n] : r.reasons) {
    std::printf("%s\"%s\":%llu", first ? "" : ",", JsonEscape(k).c_str(), (unsigned long long)n);
    first = false;
  }
  std::printf("}}\n");
}

// The writer run in progress, for OnTerminate.
struct RunningWrite {
  const tongwen::IngestReport* report = nullptr;
  std::string cmd, db_dir;
  bool json = false;
  bool follow = false;  // upsert --follow: earlier commits stay written
};
RunningWrite g_running;

// A failed feed keeps what its earlier commits wrote: the text summary
// counts them (no "nothing written"); the JSON one says ok false. Returns
// the exit status.
int FollowFailed(const tongwen::IngestReport& rep, const tongwen::Status& s, bool json) {
  tongwen::IngestReport shown = rep;
  if (json) shown.failure = s.ToString();
  PrintReport(shown, json);
  std::fflush(stdout);
  std::fprintf(stderr, "indexer: upsert --follow failed: %s; %llu articles of earlier commits are written\n",
               s.ToString().c_str(), (unsigned long long)rep.indexed);
  return 1;
}

// Xapian can terminate the process from inside a failed commit (see
// tongwen::WriteFailureOf): the run still ends with its FAILED summary
// and exit 1. The live database is as it was: a commit that did not finish
// never replaced its version file.
[[noreturn]] void OnTerminate() {
  if (!g_running.report) std::abort();
  const tongwen::Status s = tongwen::WriteFailureOf(std::current_exception(), g_running.db_dir);
  tongwen::IngestReport r = *g_running.report;
  if (g_running.follow) {  // the articles read and not committed are not written
    r.not_written = r.read - r.rejected - r.indexed;
    std::_Exit(FollowFailed(r, s, g_running.json));
  }
  r.failure = s.ToString();
  r.not_written = r.indexed;
  r.indexed = 0;
  r.replaced = 0;
  PrintReport(r, g_running.json);
  std::fflush(stdout);
  std::fprintf(stderr, "indexer: %s failed: %s; the database is unchanged\n", g_running.cmd.c_str(),
               s.ToString().c_str());
  std::_Exit(1);
}

// Set by SIGTERM/SIGINT during `upsert --follow`: the feed stops, committing what it read.
std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop.store(true); }

// No SA_RESTART: a signal interrupts the wait for input (or for a named
// pipe's writer), so the feed stops at once.
void CatchStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

void PrintCommit(const tongwen::CommitReport& c, const std::string& mode) {
  if (mode == "none") return;
  if (mode == "json") {
    std::printf(
        "{\"event\":\"commit\",\"commit\":%llu,\"articles\":%llu,\"replaced\":%llu,\"indexed\":%llu,"
        "\"rejected\":%llu,\"commit_ms\":%.1f,\"waited_ms\":%.1f,\"seconds\":%.3f}\n",
        (unsigned long long)c.commit, (unsigned long long)c.articles, (unsigned long long)c.replaced,
        (unsigned long long)c.indexed, (unsigned long long)c.rejected, c.commit_ms, c.waited_ms, c.seconds);
    std::fflush(stdout);
    return;
  }
  std::fprintf(stderr,
               "indexer: commit %llu: %llu articles (replaced %llu), %llu in all, rejected %llu; "
               "%.0f ms, the first waited %.0f ms\n",
               (unsigned long long)c.commit, (unsigned long long)c.articles, (unsigned long long)c.replaced,
               (unsigned long long)c.indexed, (unsigned long long)c.rejected, c.commit_ms, c.waited_ms);
}

// upsert --follow: the feed runs until its input ends or a signal stops it.
int RunFollow(const tongwen::IngestOptions& opt, const tongwen::FollowOptions& fo, const std::string& input,
              const std::string& progress) {
  tongwen::IngestReport rep;
  tongwen::FollowOptions f = fo;
  f.stop = &g_stop;
  // Xapian can terminate the process from a failed commit (see OnTerminate).
  g_running = RunningWrite{&rep, "upsert --follow", opt.db_dir, progress == "json", true};
  std::set_terminate(OnTerminate);
  tongwen::Status s = tongwen::Follow(
      opt, f, input, [&](const tongwen::CommitReport& c) { PrintCommit(c, progress); }, &rep);
  g_running.report = nullptr;
  if (!s.ok()) return FollowFailed(rep, s, progress == "json");
  PrintReport(rep, progress == "json");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Past `ulimit -f` a write fails with EFBIG, which the run reports (issue
  // 28), instead of the signal killing the indexer without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  if (argc < 2) return Usage("");
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  tongwen::IngestOptions opt;
  std::vector<std::string> args;
  std::string dict, progress = "auto";
  bool no_dict = false, follow = false, commit_flags = false, max_errors_given = false;
  tongwen::FollowOptions follow_opt;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (a.rfind(std::string(name) + "=", 0) == 0) return argv[i] + std::strlen(name) + 1;
      if (a == name && i + 1 < argc) return argv[++i];
      return nullptr;
    };
    uint64_t n;
    if (a == "--db" || a.rfind("--db=", 0) == 0) {
      const char* v = value("--db");
      if (!v) return Usage("--db needs a directory");
      opt.db_dir = v;
    } else if (a == "--max-errors" || a.rfind("--max-errors=", 0) == 0) {
      if (!ParseUint(value("--max-errors"), &n)) return Usage("--max-errors needs a non-negative integer");
      opt.max_errors = n;
      max_errors_given = true;
    } else if (a == "--threads" || a.rfind("--threads=", 0) == 0) {
      if (!ParseUint(value("--threads"), &n) || n == 0 || n > 256)
        return Usage("--threads needs an integer 1..256");
      opt.threads = static_cast<unsigned>(n);
    } else if (a == "--memory" || a.rfind("--memory=", 0) == 0) {
      if (!ParseUint(value("--memory"), &n) || n < 64) return Usage("--memory needs megabytes (at least 64)");
      opt.memory_mb = n;
    } else if (a == "--dictionary" || a.rfind("--dictionary=", 0) == 0) {
      const char* v = value("--dictionary");
      if (!v) return Usage("--dictionary needs a file");
      dict = v;
    } else if (a == "--no-dictionary") {
      no_dict = true;
    } else if (a == "--wait" || a.rfind("--wait=", 0) == 0) {
      if (!ParseUint(value("--wait"), &n) || n > 86400) return Usage("--wait needs seconds (0..86400)");
      opt.lock_wait_seconds = static_cast<double>(n);
    } else if (a == "--follow") {
      follow = true;
    } else if (a == "--commit-articles" || a.rfind("--commit-articles=", 0) == 0) {
      if (!ParseUint(value("--commit-articles"), &n) || n == 0 || n > 1000000)
        return Usage("--commit-articles needs an integer 1..1000000");
      follow_opt.commit_articles = n;
      commit_flags = true;
    } else if (a == "--commit-ms" || a.rfind("--commit-ms=", 0) == 0) {
      if (!ParseUint(value("--commit-ms"), &n) || n == 0 || n > 3600000)
        return Usage("--commit-ms needs milliseconds 1..3600000");
      follow_opt.commit_ms = n;
      commit_flags = true;
    } else if (a == "--allow-shrink") {
      opt.allow_shrink = true;
    } else if (a == "--progress" || a.rfind("--progress=", 0) == 0) {
      const char* v = value("--progress");
      if (!v) return Usage("--progress needs a mode");
      progress = v;
      if (progress != "auto" && progress != "tty" && progress != "log" && progress != "json" &&
          progress != "none")
        return Usage("--progress must be auto, tty, log, json or none");
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      return Usage("unknown option " + a);
    } else {
      args.push_back(a);
    }
  }

  if (cmd == "compile-dictionary") {
    if (args.size() != 2) return Usage("compile-dictionary needs CEDICT and OUT");
    tongwen::Status s = tongwen::Lexicon::Compile(args[0], args[1]);
    if (!s.ok()) {
      std::fprintf(stderr, "indexer: %s\n", s.ToString().c_str());
      return 1;
    }
    auto lex = tongwen::Lexicon::Open(args[1]);
    std::printf("compiled %zu headwords into %s\n", lex.ok() ? (*lex)->size() : 0, args[1].c_str());
    return 0;
  }
  if (opt.db_dir.empty()) return Usage(cmd + " needs --db DIR");

  if (cmd == "stats") {
    auto st = tongwen::Stats(opt.db_dir);
    if (!st.ok()) {
      std::fprintf(stderr, "indexer: %s\n", st.status().ToString().c_str());
      return 1;
    }
    std::printf("documents: %llu\n", (unsigned long long)st->documents);
    std::printf("languages:");
    for (const auto& [l, c] : st->languages) std::printf(" %s=%llu", l.c_str(), (unsigned long long)c);
    std::printf("\ndate range: %s .. %s\n", st->first_date.empty() ? "-" : st->first_date.c_str(),
                st->last_date.empty() ? "-" : st->last_date.c_str());
    std::printf("size: %llu bytes (%s)\ngeneration: %s\nschema: %s\n", (unsigned long long)st->size_bytes,
                Human(double(st->size_bytes)).c_str(), st->generation.c_str(), st->schema.c_str());
    if (st->reclaimable_known)
      std::printf("compact would reclaim: about %llu bytes (%s, estimate)\n",
                  (unsigned long long)st->reclaimable_bytes, Human(double(st->reclaimable_bytes)).c_str());
    else
      std::printf("compact would reclaim: unknown (never compacted by this version; run compact)\n");
    return 0;
  }
  if (cmd == "compact") {
    tongwen::CompactReport rep;
    tongwen::Status s = tongwen::Compact(opt, &rep);
    if (!s.ok()) {
      std::fprintf(stderr, "indexer: compact failed: %s; the database is unchanged\n", s.ToString().c_str());
      return 1;
    }
    std::printf("compacted %s: %llu -> %llu bytes (%s -> %s) in %.1fs\n", rep.generation.c_str(),
                (unsigned long long)rep.size_before, (unsigned long long)rep.size_after,
                Human(double(rep.size_before)).c_str(), Human(double(rep.size_after)).c_str(), rep.seconds);
    return 0;
  }
  if (cmd == "verify") {
    std::string report;
    tongwen::Status s = tongwen::Verify(opt.db_dir, &report);
    std::fputs(report.c_str(), stdout);
    if (!s.ok()) {
      std::fprintf(stderr, "indexer: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("OK\n");
    return 0;
  }
  if (cmd == "delete") {
    if (args.empty()) return Usage("delete needs at least one ID");
    tongwen::IngestReport rep;
    g_running = RunningWrite{&rep, cmd, opt.db_dir, progress == "json"};
    std::set_terminate(OnTerminate);
    tongwen::Status s = tongwen::Delete(opt, args, &rep);
    g_running.report = nullptr;
    if (!s.ok()) {
      if (rep.failed()) PrintReport(rep, progress == "json");
      std::fprintf(stderr, "indexer: %s\n", s.ToString().c_str());
      return 1;
    }
    PrintReport(rep, progress == "json");
    return 0;
  }
  if (cmd != "rebuild" && cmd != "upsert") return Usage("unknown command " + cmd);
  if (follow && cmd != "upsert") return Usage("--follow is an option of upsert");
  if (commit_flags && !follow) return Usage("--commit-articles and --commit-ms need --follow");
  if (follow && max_errors_given)
    return Usage("--max-errors does not apply to --follow (bad lines are skipped)");
  if (follow && args.size() != 1) return Usage("upsert --follow reads one FILE (or '-')");
  if (args.empty()) return Usage(cmd + " needs at least one FILE (or '-')");
  if (follow) CatchStopSignals();  // before the dictionary loads: a stop is never missed

  std::unique_ptr<tongwen::Lexicon> lex;
  if (!no_dict) {
    auto l = tongwen::LoadDictionary(dict);
    if (!l.ok()) {
      std::fprintf(stderr, "indexer: dictionary: %s\n", l.status().ToString().c_str());
      return 1;
    }
    lex = std::move(*l);
    if (!lex) std::fprintf(stderr, "indexer: warning: no dictionary installed; indexing without it\n");
  }
  opt.lexicon = lex.get();
  if (progress == "auto") progress = isatty(STDERR_FILENO) ? "tty" : "log";
  ProgressPrinter printer{progress};
  opt.on_progress = [&](const tongwen::Progress& p) { printer(p); };
  opt.on_error = [](const std::string& e) { std::fprintf(stderr, "%s\n", e.c_str()); };
  if (follow) return RunFollow(opt, follow_opt, args[0], progress);
  tongwen::IngestReport rep;
  g_running = RunningWrite{&rep, cmd, opt.db_dir, progress == "json"};
  std::set_terminate(OnTerminate);
  tongwen::Status s = cmd == "rebuild" ? tongwen::Rebuild(opt, args, &rep) : tongwen::Upsert(opt, args, &rep);
  g_running.report = nullptr;
  PrintReport(rep, progress == "json");
  if (!s.ok()) {
    std::fprintf(stderr, "indexer: %s failed: %s; the database is unchanged\n", cmd.c_str(),
                 s.ToString().c_str());
    return 1;
  }
  if (cmd == "rebuild" && rep.indexed == 0)
    std::fprintf(stderr, "indexer: warning: the input held no article; %s now holds an empty database\n",
                 opt.db_dir.c_str());
  return 0;
}
