// libFuzzer target: tongwen::ParseQuery on arbitrary bytes.
// The first byte picks the byte limit (small limits exercise the cut on a
// UTF-8 boundary); the rest is the query. Besides the sanitizers, checks the
// rules query.h promises: the parser never fails, the root is an AND, NOT
// has one operand inside an AND, OR at least two, fields are known ones, and
// the text of a valid UTF-8 query stays valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tongwen/analysis.h"
#include "tongwen/query.h"

namespace {

using tongwen::QueryNode;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "query_parser_fuzz: %s\n", what);
  std::abort();
}

void Check(const QueryNode& n, const QueryNode* parent, int depth, bool utf8) {
  if (depth > 64) Fail("tree deeper than 64");
  if (n.field != "" && n.field != "title" && n.field != "source" && n.field != "section")
    Fail("unknown field");
  switch (n.kind) {
    case QueryNode::kText:
    case QueryNode::kPhrase:
      if (!n.children.empty()) Fail("leaf with children");
      if (n.kind == QueryNode::kText && n.text.find_first_of(" \t\r\n()\"") != std::string::npos)
        Fail("word holds query syntax");
      if (n.kind == QueryNode::kPhrase && n.text.find('"') != std::string::npos) Fail("phrase holds a quote");
      if (utf8 && !tongwen::IsValidUtf8(n.text)) Fail("text of a valid UTF-8 query is not valid UTF-8");
      break;
    case QueryNode::kNot:
      if (n.children.size() != 1) Fail("NOT without exactly one operand");
      if (!parent || parent->kind != QueryNode::kAnd) Fail("NOT outside an AND");
      break;
    case QueryNode::kOr:
      if (n.children.size() < 2) Fail("OR with fewer than two operands");
      break;
    case QueryNode::kAnd:
      break;
  }
  if (n.kind != QueryNode::kText && n.kind != QueryNode::kPhrase && !n.field.empty())
    Fail("operator with a field");
  for (const QueryNode& c : n.children) Check(c, &n, depth + 1, utf8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_bytes = data[0] < 200 ? 1024 : data[0] - 200;  // mostly the default, sometimes 0..55
  const std::string q(reinterpret_cast<const char*>(data + 1), size - 1);
  const tongwen::ParsedQuery p = tongwen::ParseQuery(q, max_bytes);
  if (p.root.kind != QueryNode::kAnd) Fail("root is not an AND");
  if (p.truncated != (q.size() > max_bytes)) Fail("truncated flag is wrong");
  Check(p.root, nullptr, 0, tongwen::IsValidUtf8(q));
  return 0;
}
