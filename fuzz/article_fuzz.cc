// libFuzzer target: the JSONL reader (tongwen::ParseArticle) on one line,
// and the document an accepted line becomes (tongwen::BuildDocument).
// The first byte picks the limits (the defaults, or tiny ones that exercise
// truncation and the depth limit). Checks, beyond the sanitizers:
//   - an accepted article has an id and at least one version, its text
//     fields are valid UTF-8 within the field limit, and its stored JSON
//     parses again to the same id and versions (what `indexer verify` does);
//   - every term of its document fits in a glass database (245 bytes), so
//     one line cannot make Xapian refuse the whole batch.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <xapian.h>

#include "index/document_builder.h"
#include "schema/terms.h"

#include "tongwen/analysis.h"
#include "tongwen/article.h"
#include "tongwen/index.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "article_fuzz: %s\n", what.c_str());
  std::abort();
}

constexpr size_t kMaxTermBytes = 245;  // Xapian glass: longer terms are an error on add_document

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  tongwen::IngestLimits limits;
  if (data[0] & 1) {  // tiny limits
    limits.max_field_bytes = 1 + data[0] % 32;
    limits.max_depth = 1 + (data[0] >> 5);
    limits.max_line_bytes = 4096;
  }
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  bool truncated = false;
  tongwen::Result<tongwen::Article> a = tongwen::ParseArticle(line, limits, &truncated);
  if (!a.ok()) {
    if (a.status().message().empty()) Fail("rejected without a reason");
    return 0;
  }
  if (a->id.empty()) Fail("accepted without an id");
  if (a->versions.empty()) Fail("accepted without a version");
  for (const tongwen::Version& v : a->versions) {
    if (!tongwen::IsValidUtf8(v.title) || !tongwen::IsValidUtf8(v.body)) Fail("text is not valid UTF-8");
    if (v.title.size() > limits.max_field_bytes || v.body.size() > limits.max_field_bytes)
      Fail("a field is over the field limit");
  }
  // The stored copy must read back as the same article (indexer verify).
  tongwen::Result<tongwen::Article> again = tongwen::ParseArticle(a->json);
  if (!again.ok()) Fail("stored JSON does not parse again: " + again.status().message());
  if (again->id != a->id || again->versions.size() != a->versions.size())
    Fail("stored JSON reads differently");

  static const tongwen::Analyzer analyzer;
  Xapian::Document doc;
  tongwen::BuildDocument(*a, analyzer, {100.0, 100.0}, &doc);
  for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
    if ((*t).size() > kMaxTermBytes)
      Fail("term of " + std::to_string((*t).size()) + " bytes: " + (*t).substr(0, 40) + "...");
  if (tongwen::ArticleIdOf(doc) != a->id) Fail("document id term differs from the article id");
  return 0;
}
