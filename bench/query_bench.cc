// In-process query latency: runs queries against an Engine (no HTTP) and
// prints p50/p99 per query type. Useful under perf.
//   build/bin/query_bench DB QUERIES.txt [DICTIONARY] [--rounds N] [--facets] [--slowest N] [--no-warmup]
// --facets asks every search for the four facets (source, section, year, language).
// --slowest N also lists the N queries with the highest median latency.
// --no-warmup counts the first round too (which otherwise only warms up):
// with --rounds 1 each query is timed once, in file order, so a group of
// related:ID lines after another shows its cost with caches that only the
// earlier group has filled.
// QUERIES.txt: one query per line; a line "## name" starts a named group; a
// line "related:ID" asks for the articles related to article ID (limit 10).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tongwen/config.h"
#include "tongwen/engine.h"
#include "tongwen/lexicon.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: query_bench DB QUERIES.txt [DICTIONARY] [--rounds N] [--facets] [--slowest N] "
                 "[--no-warmup]\n");
    return 2;
  }
  int rounds = 3;
  bool facets = false, warmup = true;
  size_t slowest = 0;
  std::string dict;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-warmup"))
      warmup = false;
    else if (!std::strcmp(argv[i], "--facets"))
      facets = true;
    else if (!std::strcmp(argv[i], "--slowest") && i + 1 < argc)
      slowest = static_cast<size_t>(std::atoi(argv[++i]));
    else
      dict = argv[i];
  }
  auto lex = tongwen::LoadDictionary(dict);
  if (!lex.ok()) {
    std::fprintf(stderr, "%s\n", lex.status().ToString().c_str());
    return 1;
  }
  tongwen::EngineOptions eo;
  eo.db_dir = argv[1];
  eo.lexicon = lex->get();
  auto engine = tongwen::Engine::Open(eo);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> queries;  // group, query
  std::ifstream in(argv[2]);
  std::string line, group = "all";
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0)
      group = line.substr(3);
    else if (!line.empty())
      queries.emplace_back(group, line);
  }
  std::map<std::string, std::vector<double>> lat;
  std::vector<std::vector<double>> per_query(queries.size());
  for (int r = 0; r < rounds; ++r)
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      const auto& [g, q] = queries[qi];
      tongwen::SearchRequest req;
      req.q = q;
      if (facets) req.facets = {"source", "section", "year", "language"};
      auto t0 = std::chrono::steady_clock::now();
      auto res = q.rfind("related:", 0) == 0 ? (*engine)->Related(q.substr(8), 10, "", req.snippet_length)
                                             : (*engine)->Search(req);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!res.ok()) {
        std::fprintf(stderr, "%s: %s\n", q.c_str(), res.status().ToString().c_str());
        return 1;
      }
      if (r > 0 || !warmup) {  // round 0 warms up
        lat[g].push_back(ms);
        per_query[qi].push_back(ms);
      }
    }
  for (auto& [g, v] : lat) {
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) { return v[std::min(v.size() - 1, size_t(p * v.size()))]; };
    double sum = 0;
    for (double x : v) sum += x;
    std::printf("%-12s n=%-5zu mean %.2f ms  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms\n", g.c_str(), v.size(),
                sum / static_cast<double>(v.size()), pct(0.5), pct(0.9), pct(0.99));
  }
  if (slowest > 0 && rounds > 1) {
    std::vector<std::pair<double, size_t>> med;
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      std::vector<double>& v = per_query[qi];
      std::sort(v.begin(), v.end());
      med.emplace_back(v[v.size() / 2], qi);
    }
    std::sort(med.rbegin(), med.rend());
    for (size_t k = 0; k < std::min(slowest, med.size()); ++k)
      std::printf("  %7.2f ms  %-8s %s\n", med[k].first, queries[med[k].second].first.c_str(),
                  queries[med[k].second].second.c_str());
  }
  return 0;
}
