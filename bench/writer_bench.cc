// The CPU cost of Xapian's writer alone, one thread: articles are parsed and
// built into Xapian documents first (timed apart), then written into shards
// as `indexer rebuild` writes them (a commit every --commit documents, a new
// shard every 16,384), and the shards are compacted into one database.
//   build/bin/writer_bench DICTIONARY FILE.jsonl N OUT_DIR [--commit K]
// Prints CPU milliseconds per article for each phase, and the articles per
// second two cores could reach if analysis cost nothing: the ceiling that
// Xapian's writer sets for a rebuild on this machine.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <xapian.h>

#include "index/document_builder.h"
#include "schema/weighting.h"
#include "store/stored_article.h"

#include "tongwen/analysis.h"
#include "tongwen/article.h"
#include "tongwen/index.h"
#include "tongwen/lexicon.h"

namespace {
double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: writer_bench DICTIONARY FILE.jsonl N OUT_DIR [--commit K]\n");
    return 2;
  }
  size_t commit = 512;
  for (int i = 5; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--commit")) commit = std::max(1, std::atoi(argv[i + 1]));
  auto lex = tongwen::Lexicon::Open(argv[1]);
  if (!lex.ok()) {
    std::fprintf(stderr, "writer_bench: %s\n", lex.status().ToString().c_str());
    return 1;
  }
  tongwen::Analyzer analyzer(lex->get());
  const size_t n = std::stoul(argv[3]);
  const std::string out = argv[4];
  std::filesystem::remove_all(out);
  std::filesystem::create_directories(out);
  std::ifstream in(argv[2]);
  std::vector<std::string> lines;
  for (std::string l; lines.size() < n && std::getline(in, l);) lines.push_back(l);
  // The stored-article dictionary, trained as a rebuild trains it.
  std::vector<std::string> sample;
  size_t sample_bytes = 0;
  for (const std::string& l : lines) {
    if (sample_bytes >= (8u << 20)) break;
    auto a = tongwen::ParseArticle(l);
    if (a.ok()) sample_bytes += (sample.emplace_back(a->json)).size();
  }
  auto codec = tongwen::StoredCodec::Train(sample);

  const double t0 = CpuSeconds();
  std::vector<Xapian::Document> docs;
  docs.reserve(lines.size());
  for (const std::string& l : lines) {
    auto a = tongwen::ParseArticle(l);
    if (!a.ok()) continue;
    tongwen::BuildDocument(*a, analyzer, {tongwen::kDefaultAverageLength, tongwen::kDefaultAverageLength},
                           &docs.emplace_back(), codec.get());
  }
  const double t1 = CpuSeconds();
  constexpr size_t kShard = 16384;
  std::vector<std::string> shards;
  for (size_t s = 0; s * kShard < docs.size(); ++s) {
    shards.push_back(out + "/shard" + std::to_string(s));
    Xapian::WritableDatabase db(shards.back(), Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS |
                                                   Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS);
    for (size_t i = s * kShard; i < std::min(docs.size(), (s + 1) * kShard); ++i) {
      db.add_document(docs[i]);
      if ((i + 1) % commit == 0) db.commit();
    }
    db.commit();
    db.close();
  }
  const double t2 = CpuSeconds();
  Xapian::Database all;
  for (const std::string& p : shards) all.add_database(Xapian::Database(p));
  all.compact(out + "/compacted", Xapian::Compactor::FULLER);
  const double t3 = CpuSeconds();
  const double per = 1e3 / static_cast<double>(std::max<size_t>(1, docs.size()));
  const double writer_ms = (t3 - t1) * per;
  std::printf("articles                      %zu (commit every %zu)\n", docs.size(), commit);
  std::printf("parse+analyse+build, CPU      %.3f ms/article\n", (t1 - t0) * per);
  std::printf("Xapian add_document+commit    %.3f ms/article\n", (t2 - t1) * per);
  std::printf("Xapian compaction             %.3f ms/article\n", (t3 - t2) * per);
  std::printf("writer ceiling on 2 cores     %.0f articles/s (if analysis cost nothing)\n",
              2 * 1e3 / writer_ms);
  std::filesystem::remove_all(out);
  return 0;
}
