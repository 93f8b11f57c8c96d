// The query language parser (tongwen/query.h): table-driven over a compact
// dump of the QueryNode tree, plus repairs, truncation and random input.
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tongwen/analysis.h"
#include "tongwen/query.h"

using tongwen::ParsedQuery;
using tongwen::ParseQuery;
using tongwen::QueryNode;

namespace {

// AND(OR(a,b),NOT(c)); phrases in double quotes; fields as title:x.
std::string Dump(const QueryNode& n) {
  const std::string field = n.field.empty() ? "" : n.field + ":";
  switch (n.kind) {
    case QueryNode::kText:
      return field + n.text;
    case QueryNode::kPhrase:
      return field + "\"" + n.text + "\"";
    case QueryNode::kAnd:
    case QueryNode::kOr:
    case QueryNode::kNot: {
      std::string s = n.kind == QueryNode::kAnd ? "AND(" : n.kind == QueryNode::kOr ? "OR(" : "NOT(";
      for (size_t i = 0; i < n.children.size(); ++i) s += (i ? "," : "") + Dump(n.children[i]);
      return s + ")";
    }
  }
  return "?";
}

std::string Repairs(const ParsedQuery& p) {
  std::string s;
  for (const std::string& r : p.repairs) s += "{" + r + "}";
  return s;
}

// Structural rules every parse must satisfy. Returns "" or the first violation.
std::string CheckTree(const QueryNode& n, const QueryNode* parent, int depth) {
  if (depth > 40) return "tree deeper than 40";
  switch (n.kind) {
    case QueryNode::kText:
      if (!n.children.empty()) return "text node with children";
      if (n.text.find_first_of(" \t\r\n\f()\"") != std::string::npos)
        return "text '" + n.text + "' has syntax";
      if (n.field.empty() && (n.text == "OR" || n.text == "NOT" || n.text == "AND"))
        return "operator kept as a word";
      break;
    case QueryNode::kPhrase:
      if (!n.children.empty()) return "phrase node with children";
      if (n.text.find('"') != std::string::npos) return "phrase contains a quote";
      break;
    case QueryNode::kNot:
      if (n.children.size() != 1) return "NOT without exactly one operand";
      if (!parent || parent->kind != QueryNode::kAnd) return "NOT outside an AND";
      break;
    case QueryNode::kOr:
      if (n.children.size() < 2) return "OR with fewer than two operands";
      break;
    case QueryNode::kAnd:
      break;
  }
  if (n.field != "" && n.field != "title" && n.field != "source" && n.field != "section")
    return "unknown field '" + n.field + "'";
  if ((n.kind == QueryNode::kAnd || n.kind == QueryNode::kOr || n.kind == QueryNode::kNot) &&
      !n.field.empty())
    return "operator with a field";
  for (const QueryNode& c : n.children) {
    std::string e = CheckTree(c, &n, depth + 1);
    if (!e.empty()) return e;
  }
  return "";
}

bool AllTextValidUtf8(const QueryNode& n) {
  if (!tongwen::IsValidUtf8(n.text)) return false;
  for (const QueryNode& c : n.children)
    if (!AllTextValidUtf8(c)) return false;
  return true;
}

bool Mentions(const QueryNode& n, const std::string& text) {
  if (n.text == text) return true;
  for (const QueryNode& c : n.children)
    if (Mentions(c, text)) return true;
  return false;
}

struct Row {
  std::string query;
  std::string tree;
};

}  // namespace

TEST_CASE("ParseQuery: well-formed queries", "[query]") {
  const std::vector<Row> rows = {
      {"", "AND()"},
      {"   \t\n", "AND()"},
      {"a", "AND(a)"},
      {"a b", "AND(a,b)"},
      {"  a \t b\n", "AND(a,b)"},
      {"台積電 財報", "AND(台積電,財報)"},
      // Phrases.
      {"\"a b\" c", "AND(\"a b\",c)"},
      {"\"a\" \"b\"", "AND(\"a\",\"b\")"},
      {"a\"b c\"d", "AND(a,\"b c\",d)"},
      {"\"\"", "AND(\"\")"},
      // OR: implicit AND binds tighter than OR.
      {"a OR b", "AND(OR(a,b))"},
      {"a OR b OR c", "AND(OR(a,b,c))"},
      {"a OR b c", "AND(OR(a,AND(b,c)))"},
      {"a b OR c", "AND(OR(AND(a,b),c))"},
      {"a AND b", "AND(a,b)"},
      {"a and b or not c", "AND(a,and,b,or,not,c)"},  // operators are upper case only
      // Exclusion.
      {"a -b", "AND(a,NOT(b))"},
      {"a NOT b", "AND(a,NOT(b))"},
      {"NOT a", "AND(NOT(a))"},
      {"-a", "AND(NOT(a))"},
      {"-\"a b\" c", "AND(NOT(\"a b\"),c)"},
      {"a-b", "AND(a-b)"},                    // a hyphen inside a word is not an exclusion
      {"颱風 -停課", "AND(颱風,NOT(停課))"},  // no sentence punctuation: an exclusion
      {"--a", "AND(NOT(-a))"},
      {"NOT (a OR b)", "AND(NOT(OR(a,b)))"},
      {"a OR NOT b", "AND(OR(a,AND(NOT(b))))"},  // NOT always sits inside an AND
      // Grouping.
      {"(a OR b) -c", "AND(OR(a,b),NOT(c))"},
      {"x -(a OR b)", "AND(x,NOT(OR(a,b)))"},
      {"(a OR (b -c)) d", "AND(OR(a,AND(b,NOT(c))),d)"},
      {"((a))", "AND(a)"},
      // Field prefixes.
      {"title:a", "AND(title:a)"},
      {"title:\"a phrase\"", "AND(title:\"a phrase\")"},
      {"source:cna section:politics x", "AND(source:cna,section:politics,x)"},
      {"source:\"Central News\"", "AND(source:\"Central News\")"},
      {"-title:a", "AND(NOT(title:a))"},
      {"title:a OR source:b", "AND(OR(title:a,source:b))"},
      {"title:OR", "AND(title:OR)"},                  // after a field, OR is a word
      {"title: a", "AND(title:,a)"},                  // nothing attached: plain text
      {"Title:a author:x", "AND(Title:a,author:x)"},  // unknown prefixes are text
      // Full-width syntax.
      {"「台積電」", "AND(\"台積電\")"},
      {"“trade war” 關稅", "AND(\"trade war\",關稅)"},
      {"＂a b＂", "AND(\"a b\")"},
      {"（a OR b）c", "AND(OR(a,b),c)"},
      {"title:「國防預算」", "AND(title:\"國防預算\")"},
      {"a\xE3\x80\x80"
       "b",
       "AND(a,b)"},  // U+3000 ideographic space
  };
  for (const Row& r : rows) {
    INFO("query: " << r.query);
    ParsedQuery p = ParseQuery(r.query);
    CHECK(Dump(p.root) == r.tree);
    CHECK(p.repairs.empty());
    CHECK_FALSE(p.truncated);
    CHECK(CheckTree(p.root, nullptr, 0) == "");
  }
}

TEST_CASE("ParseQuery: broken queries are repaired, never rejected", "[query][repair]") {
  struct RepairRow {
    std::string query, tree, repairs;
  };
  const std::vector<RepairRow> rows = {
      {"\"a b", "AND(\"a b\")", "{unclosed quote at 0 closed at the end}"},
      {"title:\"a b", "AND(title:\"a b\")", "{unclosed quote at 6 closed at the end}"},
      {"\"", "AND(\"\")", "{unclosed quote at 0 closed at the end}"},
      {"(a b", "AND(a,b)", "{unclosed '(' at 0 closed at the end}"},
      {"x (a OR b", "AND(x,OR(a,b))", "{unclosed '(' at 2 closed at the end}"},
      {"((", "AND()", "{unclosed '(' at 1 closed at the end}{unclosed '(' at 0 closed at the end}"},
      {"a b)", "AND(a,b)", "{unmatched ')' at 3 ignored}"},
      {") a", "AND(a)", "{unmatched ')' at 0 ignored}"},
      {"a ) ) b", "AND(a,b)", "{unmatched ')' at 2 ignored}{unmatched ')' at 4 ignored}"},
      {"))", "AND()", "{unmatched ')' at 0 ignored}{unmatched ')' at 1 ignored}"},
      {"a OR", "AND(a)", "{dangling OR at 2 ignored}"},
      {"a OR OR b", "AND(OR(a,b))", "{dangling OR at 2 ignored}"},
      {"OR", "AND()", "{dangling OR at 0 ignored}"},
      {"a NOT", "AND(a)", "{dangling NOT/- at 2 ignored}"},
      {"NOT", "AND()", "{dangling NOT/- at 0 ignored}"},
      {"(a NOT) b", "AND(a,b)", "{dangling NOT/- at 3 ignored}"},
      {"a -)", "AND(a)", "{dangling NOT/- at 2 ignored}{unmatched ')' at 3 ignored}"},
      {"（a", "AND(a)", "{unclosed '(' at 0 closed at the end}"},
      {"「a b", "AND(\"a b\")", "{unclosed quote at 0 closed at the end}"},
      // In prose (Chinese sentence punctuation), a minus sign is a dash.
      {"颱風來襲 -氣象局發布警報 學校停課。", "AND(颱風來襲,-氣象局發布警報,學校停課。)",
       "{'-' in a sentence at 13 read as a dash}"},
      {"颱風， -停課 NOT 股市", "AND(颱風，,-停課,NOT(股市))", "{'-' in a sentence at 10 read as a dash}"},
  };
  for (const RepairRow& r : rows) {
    INFO("query: " << r.query);
    ParsedQuery p = ParseQuery(r.query);
    CHECK(Dump(p.root) == r.tree);
    CHECK(Repairs(p) == r.repairs);
    CHECK_FALSE(p.truncated);
    CHECK(CheckTree(p.root, nullptr, 0) == "");
  }
}

// A leading OR is dropped like a trailing one, but unlike "a OR" nothing is
// reported: query.h promises that a dangling OR is ignored AND reported.
TEST_CASE("ParseQuery: a leading OR is reported as repaired", "[query][repair][regression]") {
  ParsedQuery p = ParseQuery("OR a");
  CHECK(Dump(p.root) == "AND(a)");
  CHECK(p.repairs.size() == 1);
  CHECK_THAT(Repairs(p), Catch::Contains("dangling OR at 0"));
}

// Repair messages give byte offsets into the query after full-width syntax
// was folded to ASCII (「 -> "), not into the query the user sent.
TEST_CASE("ParseQuery: repair offsets refer to the query as given", "[query][repair][regression]") {
  // 「台」 (a: the '(' is at byte 10 of the input (3+3+3+1).
  ParsedQuery p = ParseQuery("「台」 (a");
  CHECK(Dump(p.root) == "AND(\"台\",a)");
  CHECK(Repairs(p) == "{unclosed '(' at 10 closed at the end}");
}

TEST_CASE("ParseQuery: nesting is limited to 16 levels", "[query][limits]") {
  auto nest = [](int k, const std::string& inner) {
    return std::string(k, '(') + inner + std::string(k, ')');
  };
  ParsedQuery ok = ParseQuery(nest(16, "a"));
  CHECK(Dump(ok.root) == "AND(a)");
  CHECK(ok.repairs.empty());

  ParsedQuery deeper = ParseQuery(nest(17, "a OR b"));
  CHECK_THAT(Repairs(deeper), Catch::Contains("nesting deeper than 16 at 16 ignored"));
  CHECK(Mentions(deeper.root, "a"));
  CHECK(Mentions(deeper.root, "b"));
  CHECK(CheckTree(deeper.root, nullptr, 0) == "");

  // Absurd inputs must neither crash nor recurse without bound.
  for (const std::string& q :
       {std::string(100000, '('), nest(5000, "x"), std::string(100000, ')'), nest(3000, "a OR -b") + " c"}) {
    ParsedQuery p = ParseQuery(q, q.size());
    CHECK_FALSE(p.repairs.empty());
    CHECK(CheckTree(p.root, nullptr, 0) == "");
  }
}

TEST_CASE("ParseQuery: long queries are cut at max_bytes on a UTF-8 boundary", "[query][limits]") {
  struct Cut {
    std::string query;
    size_t max;
    std::string tree;
    bool truncated;
  };
  const std::vector<Cut> rows = {
      {"abcdef", 3, "AND(abc)", true},
      {"abc", 3, "AND(abc)", false},
      {"abc", 0, "AND()", true},
      {"台積電", 9, "AND(台積電)", false},
      {"台積電", 8, "AND(台積)", true},
      {"台積電", 4, "AND(台)", true},
      {"台積電", 2, "AND()", true},
      {"ab「c」", 4, "AND(ab)", true},            // the 「 is cut, not half-folded
      {"\"a b c\" d", 5, "AND(\"a b \")", true},  // cut inside a phrase: closed by repair
      {"(a OR b) c", 8, "AND(OR(a,b))", true},
  };
  for (const Cut& c : rows) {
    INFO("query: " << c.query << " max " << c.max);
    ParsedQuery p = ParseQuery(c.query, c.max);
    CHECK(Dump(p.root) == c.tree);
    CHECK(p.truncated == c.truncated);
    CHECK(AllTextValidUtf8(p.root));
  }
  CHECK(Repairs(ParseQuery("\"a b c\" d", 5)) == "{unclosed quote at 0 closed at the end}");

  // The default limit is 1024 bytes.
  std::string longq;
  while (longq.size() < 3000) longq += "國防 ";
  ParsedQuery p = ParseQuery(longq);
  CHECK(p.truncated);
  size_t words = 0, bytes = 0;
  for (const QueryNode& c : p.root.children) {
    ++words;
    bytes += c.text.size();
    CHECK(c.text == "國防");  // no half characters
  }
  CHECK(words == 1024 / 7);  // "國防 " is 7 bytes: 146 whole words, then half a 國 is dropped
  CHECK(bytes <= 1024);
  CHECK_FALSE(ParseQuery(std::string(1024, 'a')).truncated);
  CHECK(ParseQuery(std::string(1025, 'a')).truncated);
}

TEST_CASE("ParseQuery: random input never crashes and always gives a well-formed tree", "[query][property]") {
  const std::vector<std::string> pieces = {
      "(",  ")",  "\"", "-", "OR", "NOT",          "AND",  "title:", "source:",  "section:",
      " ",  " ",  "\t", "a", "b",  "word",         "國防", "台",     "「",       "」",
      "（", "）", "“",  "”", "＂", "\xE3\x80\x80", ":",    "\xFF",   "\xE5\x9C", std::string(1, '\0'),
  };
  std::mt19937 rng(424242);
  int with_repairs = 0;
  for (int it = 0; it < 5000; ++it) {
    std::string q;
    const int n = static_cast<int>(rng() % 30);
    for (int k = 0; k < n; ++k) {
      if (rng() % 10 == 0)
        q.push_back(static_cast<char>(rng() & 0xFF));
      else
        q += pieces[rng() % pieces.size()];
    }
    const size_t max = rng() % 3 == 0 ? rng() % 40 : 1024;
    ParsedQuery p = ParseQuery(q, max);
    INFO("query bytes: " << q.size() << " max " << max);
    const std::string err = CheckTree(p.root, nullptr, 0);
    if (!err.empty()) FAIL(err << " in " << Dump(p.root));
    REQUIRE(p.root.kind == QueryNode::kAnd);
    REQUIRE(p.truncated == (q.size() > max));
    if (tongwen::IsValidUtf8(q)) REQUIRE(AllTextValidUtf8(p.root));
    with_repairs += !p.repairs.empty();
  }
  CHECK(with_repairs > 500);  // the generator really produces broken queries
}
