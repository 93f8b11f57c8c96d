#include <algorithm>
#include <cctype>

#include "tongwen/query.h"

namespace tongwen {
namespace {

struct Lexeme {
  enum Kind { kWord, kPhrase, kLParen, kRParen, kOr, kNot, kMinus, kEnd } kind;
  std::string text;
  std::string field;
  size_t at;
};

bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// U+3000 ideographic space and full-width quote/paren forms are folded to
// ASCII by the analyzer, but the parser must see them too.
std::string FoldSyntax(const std::string& q, std::vector<size_t>* orig) {
  std::string out;
  out.reserve(q.size());
  orig->clear();
  for (size_t i = 0; i < q.size(); ++i) {
    auto m = [&](const char* s) { return q.compare(i, 3, s) == 0; };
    const size_t at = i;
    char c = q[i];
    if (m("\xE3\x80\x80")) {
      c = ' ';
      i += 2;
    }  // U+3000
    else if (m("\xEF\xBC\x88")) {
      c = '(';
      i += 2;
    }  // （
    else if (m("\xEF\xBC\x89")) {
      c = ')';
      i += 2;
    }  // ）
    else if (m("\xE2\x80\x9C") || m("\xE2\x80\x9D") || m("\xEF\xBC\x82")) {
      c = '"';
      i += 2;
    }  // “ ” ＂
    else if (m("\xE3\x80\x8C") || m("\xE3\x80\x8D")) {
      c = '"';
      i += 2;
    }  // 「 」
    out += c;
    orig->push_back(at);
  }
  orig->push_back(q.size());
  return out;
}

class Parser {
 public:
  // `orig[i]` is the byte offset in the user's query of q[i].
  Parser(const std::string& q, std::vector<size_t> orig, ParsedQuery* out)
      : q_(q), orig_(std::move(orig)), out_(out) {
    Lex();
  }

  QueryNode Parse() {
    QueryNode root = ParseOr(/*depth=*/0);
    while (Peek().kind != Lexeme::kEnd) {  // stray ')'
      Repair("unmatched ')'", Peek().at, "ignored");
      ++i_;
      QueryNode more = ParseOr(0);
      if (root.kind != QueryNode::kAnd) {
        QueryNode a;
        a.kind = QueryNode::kAnd;
        a.children.push_back(std::move(root));
        root = std::move(a);
      }
      if (!more.children.empty() || more.kind != QueryNode::kAnd) root.children.push_back(std::move(more));
    }
    return root;
  }

 private:
  // Whether the query reads as prose: it holds Chinese sentence punctuation
  // (，。；！？), which a query of keywords does not.
  bool IsProse() const {
    for (const char* mark : {"\xEF\xBC\x8C", "\xE3\x80\x82", "\xEF\xBC\x9B", "\xEF\xBC\x81", "\xEF\xBC\x9F"})
      if (q_.find(mark) != std::string::npos) return true;
    return false;
  }

  void Lex() {
    size_t i = 0;
    const size_t n = q_.size();
    const bool prose = IsProse();
    while (i < n) {
      unsigned char c = static_cast<unsigned char>(q_[i]);
      if (IsSpace(c)) {
        ++i;
        continue;
      }
      const size_t at = i;
      if (c == '(') {
        toks_.push_back({Lexeme::kLParen, "", "", at});
        ++i;
        continue;
      }
      if (c == ')') {
        toks_.push_back({Lexeme::kRParen, "", "", at});
        ++i;
        continue;
      }
      if (c == '-' && i + 1 < n && !IsSpace(static_cast<unsigned char>(q_[i + 1])) &&
          (toks_.empty() || at == 0 || IsSpace(static_cast<unsigned char>(q_[at - 1])) ||
           q_[at - 1] == '(')) {
        if (prose) {
          // Pasted prose: a minus sign before a clause is a dash (颱風來襲
          // -氣象局發布警報- 學校停課。), and what follows it is text, not an
          // exclusion. NOT still excludes.
          Repair("'-' in a sentence", at, "read as a dash");
        } else {
          toks_.push_back({Lexeme::kMinus, "", "", at});
          ++i;
          continue;
        }
      }
      std::string field;
      // field:word / field:"phrase"
      for (const char* f : {"title", "source", "section"}) {
        size_t fl = std::char_traits<char>::length(f);
        if (q_.compare(i, fl, f) == 0 && i + fl < n && q_[i + fl] == ':' && i + fl + 1 < n &&
            !IsSpace(static_cast<unsigned char>(q_[i + fl + 1]))) {
          field = f;
          i += fl + 1;
          break;
        }
      }
      if (i < n && q_[i] == '"') {
        size_t close = q_.find('"', i + 1);
        if (close == std::string::npos) {
          Repair("unclosed quote", i, "closed at the end");
          close = n;
        }
        toks_.push_back({Lexeme::kPhrase, q_.substr(i + 1, close - i - 1), field, at});
        i = close == n ? n : close + 1;
        continue;
      }
      size_t j = i;
      while (j < n && !IsSpace(static_cast<unsigned char>(q_[j])) && q_[j] != '(' && q_[j] != ')' &&
             q_[j] != '"')
        ++j;
      std::string w = q_.substr(i, j - i);
      i = j;
      if (field.empty() && w == "OR")
        toks_.push_back({Lexeme::kOr, "", "", at});
      else if (field.empty() && w == "NOT")
        toks_.push_back({Lexeme::kNot, "", "", at});
      else if (field.empty() && w == "AND")
        continue;  // implicit anyway
      else if (!w.empty())
        toks_.push_back({Lexeme::kWord, w, field, at});
    }
    toks_.push_back({Lexeme::kEnd, "", "", n});
  }

  const Lexeme& Peek() const { return toks_[i_]; }

  QueryNode ParseOr(int depth) {
    std::vector<QueryNode> alts;
    alts.push_back(ParseAnd(depth));
    while (Peek().kind == Lexeme::kOr) {
      const size_t at = Peek().at;
      ++i_;
      QueryNode rhs = ParseAnd(depth);
      auto empty = [](const QueryNode& n) { return n.kind == QueryNode::kAnd && n.children.empty(); };
      if (empty(rhs) || (alts.size() == 1 && empty(alts[0]))) {  // "a OR", "OR a"
        Repair("dangling OR", at, "ignored");
        if (empty(rhs)) continue;
      }
      alts.push_back(std::move(rhs));
    }
    alts.erase(
        std::remove_if(alts.begin(), alts.end(),
                       [](const QueryNode& n) { return n.kind == QueryNode::kAnd && n.children.empty(); }),
        alts.end());
    if (alts.size() == 1) return std::move(alts[0]);
    QueryNode n;
    n.kind = alts.empty() ? QueryNode::kAnd : QueryNode::kOr;
    n.children = std::move(alts);
    return n;
  }

  QueryNode ParseAnd(int depth) {
    QueryNode n;
    n.kind = QueryNode::kAnd;
    for (;;) {
      const Lexeme& t = Peek();
      if (t.kind == Lexeme::kEnd || t.kind == Lexeme::kOr) break;
      if (t.kind == Lexeme::kRParen) {
        if (depth > 0) break;
        return n;  // handled by Parse()
      }
      bool negate = false;
      if (t.kind == Lexeme::kMinus || t.kind == Lexeme::kNot) {
        negate = true;
        ++i_;
        if (Peek().kind == Lexeme::kEnd || Peek().kind == Lexeme::kOr || Peek().kind == Lexeme::kRParen) {
          Repair("dangling NOT/-", t.at, "ignored");
          continue;
        }
      }
      QueryNode operand = ParsePrimary(depth);
      if (negate) {
        QueryNode no;
        no.kind = QueryNode::kNot;
        no.children.push_back(std::move(operand));
        n.children.push_back(std::move(no));
      } else {
        n.children.push_back(std::move(operand));
      }
    }
    if (n.children.size() == 1 && n.children[0].kind != QueryNode::kNot) return std::move(n.children[0]);
    return n;
  }

  QueryNode ParsePrimary(int depth) {
    const Lexeme t = Peek();
    ++i_;
    QueryNode n;
    switch (t.kind) {
      case Lexeme::kLParen: {
        if (depth >= 16) {  // absurd nesting: the '(' is ignored
          Repair("nesting deeper than 16", t.at, "ignored");
          return n;  // empty text: matches nothing, adds nothing
        }
        n = ParseOr(depth + 1);
        if (Peek().kind == Lexeme::kRParen)
          ++i_;
        else
          Repair("unclosed '('", t.at, "closed at the end");
        return n;
      }
      case Lexeme::kPhrase:
        n.kind = QueryNode::kPhrase;
        n.text = t.text;
        n.field = t.field;
        return n;
      default:
        n.kind = QueryNode::kText;
        n.text = t.text;
        n.field = t.field;
        return n;
    }
  }

  // Records a repair; positions are byte offsets in the user's query. At
  // most kMaxRepairs are listed (a query of 1,000 '(' is one problem).
  void Repair(const std::string& what, size_t at, const std::string& how) {
    static constexpr size_t kMaxRepairs = 10;
    if (out_->repairs.size() < kMaxRepairs)
      out_->repairs.push_back(what + " at " + std::to_string(orig_[std::min(at, orig_.size() - 1)]) + " " +
                              how);
  }

  std::string q_;
  std::vector<size_t> orig_;
  ParsedQuery* out_;
  std::vector<Lexeme> toks_;
  size_t i_ = 0;
};

}  // namespace

ParsedQuery ParseQuery(const std::string& q, size_t max_bytes) {
  ParsedQuery out;
  std::string s = q;
  if (s.size() > max_bytes) {
    size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
    out.truncated = true;
  }
  std::vector<size_t> orig;
  std::string folded = FoldSyntax(s, &orig);
  Parser p(folded, std::move(orig), &out);
  out.root = p.Parse();
  if (out.root.kind != QueryNode::kAnd) {
    QueryNode a;
    a.kind = QueryNode::kAnd;
    a.children.push_back(std::move(out.root));
    out.root = std::move(a);
  }
  return out;
}

}  // namespace tongwen
