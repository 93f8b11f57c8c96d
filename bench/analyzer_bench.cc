// Analysis throughput, one thread: how fast articles are parsed, analysed
// and turned into Xapian documents, without any database writes.
//   build/bin/analyzer_bench FILE.jsonl [DICTIONARY]
// Prints articles/s and MB/s per stage, and the token count (which, like
// tantivy's analyzer bench, is checked to be non-zero and stable per input).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <xapian.h>

#include "index/document_builder.h"

#include "tongwen/analysis.h"
#include "tongwen/article.h"
#include "tongwen/index.h"
#include "tongwen/lexicon.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: analyzer_bench FILE.jsonl [DICTIONARY]\n");
    return 2;
  }
  std::vector<std::string> lines;
  {
    std::ifstream in(argv[1]);
    std::string l;
    while (std::getline(in, l) && lines.size() < 20000) lines.push_back(l);
  }
  std::unique_ptr<tongwen::Lexicon> lex;
  if (argc > 2) {
    auto l = tongwen::Lexicon::Load(argv[2]);
    if (!l.ok()) {
      std::fprintf(stderr, "%s\n", l.status().ToString().c_str());
      return 1;
    }
    lex = std::move(*l);
  }
  tongwen::Analyzer an(lex.get());
  double bytes = 0;
  for (const auto& l : lines) bytes += static_cast<double>(l.size());
  using Clock = std::chrono::steady_clock;
  auto report = [&](const char* stage, Clock::time_point t0) {
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%-22s %8.0f articles/s %7.2f MB/s\n", stage, lines.size() / s, bytes / s / 1e6);
  };
  std::vector<tongwen::Article> arts;
  auto t0 = Clock::now();
  for (const auto& l : lines) {
    auto a = tongwen::ParseArticle(l);
    if (a.ok()) arts.push_back(std::move(*a));
  }
  report("parse", t0);
  t0 = Clock::now();
  uint64_t tokens = 0;
  tongwen::AnalyzeOptions opt;
  for (const auto& a : arts)
    for (const auto& v : a.versions) {
      an.Analyze(v.title, opt, [&](const tongwen::Token&) { ++tokens; });
      an.Analyze(v.body, opt, [&](const tongwen::Token&) { ++tokens; });
    }
  report("analyze", t0);
  t0 = Clock::now();
  uint64_t terms = 0;
  for (const auto& a : arts) {
    Xapian::Document d;
    tongwen::BuildDocument(a, an, {1000, 1000}, &d);  // a reference length near the bulk corpus's mean
    terms += d.termlist_count();
  }
  report("build document", t0);
  std::printf("articles %zu, tokens %llu, distinct terms per article %.0f\n", arts.size(),
              static_cast<unsigned long long>(tokens), arts.empty() ? 0.0 : double(terms) / arts.size());
  return tokens > 0 ? 0 : 1;
}
