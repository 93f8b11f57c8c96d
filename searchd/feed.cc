// GET /feed (issue 25): a search as an Atom 1.0 feed (RFC 4287) of its
// newest matches, with a conditional GET (ETag from the database revision
// and the request) so that a reader polling it costs a revision check when
// nothing changed.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "routes.h"

namespace searchd {
namespace {

constexpr size_t kDefaultFeedEntries = 20;
constexpr std::string_view kTagPrefix = "tag:tongwen.searchd,2026:";

// Text for XML: the five special characters as entities, and the control
// characters XML 1.0 does not allow dropped.
void AppendXml(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') *out += c;
    }
  }
}

// Percent-encodes all but RFC 3986's unreserved characters (for tag: URIs
// and hrefs made of an article id or a query).
std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Fnv1aHex(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// RFC 3339 time of an article: its publication day at 00:00 UTC.
std::string Updated(const tongwen::Hit& h) {
  return h.published.empty() ? "1970-01-01T00:00:00Z" : h.published + "T00:00:00Z";
}

// Whether an If-None-Match value (a list of entity tags, or *) matches
// `etag`; weak tags compare as strong ones (RFC 9110 13.1.2).
bool NoneMatchHits(std::string_view list, std::string_view etag) {
  size_t p = 0;
  while (p < list.size()) {
    size_t q = list.find(',', p);
    if (q == std::string_view::npos) q = list.size();
    std::string_view one = list.substr(p, q - p);
    while (!one.empty() && (one.front() == ' ' || one.front() == '\t')) one.remove_prefix(1);
    while (!one.empty() && (one.back() == ' ' || one.back() == '\t')) one.remove_suffix(1);
    if (one.substr(0, 2) == "W/") one.remove_prefix(2);
    if (one == "*" || one == etag) return true;
    p = q + 1;
  }
  return false;
}

void Entry(const tongwen::Hit& h, std::string* out) {
  const std::string id = PercentEncode(h.id);
  *out += "<entry><id>";
  AppendXml(std::string(kTagPrefix) + "article/" + id, out);
  *out += "</id>";
  // Atom has one title and one summary: the first version's (the languages in
  // the stored order); the content holds every version's, each with its tag.
  const std::string lang = h.titles.empty() ? std::string() : h.titles.front().first;
  const std::string xml_lang = lang.empty() ? std::string() : " xml:lang=\"" + lang + "\"";
  *out += "<title type=\"text\"" + xml_lang + ">";
  if (!h.titles.empty()) AppendXml(h.titles.front().second, out);
  *out += "</title><updated>" + Updated(h) + "</updated>";
  if (!h.published.empty()) *out += "<published>" + Updated(h) + "</published>";
  if (!h.source.empty()) {
    *out += "<author><name>";
    AppendXml(h.source, out);
    *out += "</name></author>";
  } else {
    *out += "<author><name>Tongwen</name></author>";
  }
  *out += "<link rel=\"alternate\" href=\"";
  AppendXml(h.url.empty() ? "/articles/" + id : h.url, out);
  *out += "\"/>";
  if (!h.section.empty()) {
    *out += "<category term=\"";
    AppendXml(h.section, out);
    *out += "\"/>";
  }
  for (const auto& [tag, snippet] : h.snippets) {
    if (tag != lang) continue;
    *out += "<summary type=\"html\"" + xml_lang + ">";
    AppendXml(snippet, out);
    *out += "</summary>";
  }
  std::string html;
  for (const auto& [tag, title] : h.titles) {
    html += "<h3 lang=\"" + tag + "\">";
    AppendXml(title, &html);  // as HTML text
    html += "</h3>";
    for (const auto& [stag, snippet] : h.snippets)
      if (stag == tag) html += "<p lang=\"" + tag + "\">" + snippet + "</p>";
  }
  if (!html.empty()) {
    *out += "<content type=\"html\">";
    AppendXml(html, out);
    *out += "</content>";
  }
  *out += "</entry>\n";
}

std::string FeedXml(const tongwen::SearchResponse& r, const std::string& q, const std::string& self) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  out += "<id>";
  AppendXml(std::string(kTagPrefix) + "feed/" + Fnv1aHex(self), &out);
  out += "</id>\n<title type=\"text\">";
  AppendXml(q.empty() ? "Tongwen: newest articles" : "Tongwen: " + q, &out);
  out += "</title>\n<updated>";
  out += r.hits.empty() || r.hits.front().relaxed ? "1970-01-01T00:00:00Z" : Updated(r.hits.front());
  out += "</updated>\n<author><name>Tongwen</name></author>\n<generator>Tongwen searchd</generator>\n";
  out += "<link rel=\"self\" type=\"application/atom+xml\" href=\"";
  AppendXml(self, &out);
  out += "\"/>\n";
  // A subscription is to the query's matches: the relaxed (any-word) hits a
  // short page of /search is filled with are not entries.
  for (const tongwen::Hit& h : r.hits)
    if (!h.relaxed) Entry(h, &out);
  out += "</feed>\n";
  return out;
}

}  // namespace

void HandleFeed(const ServerState& st, const httplib::Request& req, httplib::Response& res) {
  if (req.has_param("sort") && req.get_param_value("sort") != "-date")
    return SendApiError(res, 400, "invalid_parameter", "sort: a feed is always newest first (-date)", "sort");
  if (req.has_param("offset"))
    return SendApiError(res, 400, "invalid_parameter", "offset: a feed has no pages", "offset");
  tongwen::SearchRequest r;
  r.limit = kDefaultFeedEntries;
  if (!ReadSearchRequest(req, res, &r)) return;
  r.sort = tongwen::SearchRequest::Sort::kDateDesc;
  r.facets.clear();
  // The revision first: a feed reader that has this revision's answer to
  // this request gets a 304 without a search.
  auto revision = st.engine->RevisionTag();
  if (!revision.ok()) return SendApiStatus(res, revision.status(), req);
  const std::string etag =
      "\"" + Fnv1aHex(*revision + "\n" + st.dictionary_status + "\n" + req.target) + "\"";
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", "no-cache");
  if (req.has_header("If-None-Match") && NoneMatchHits(req.get_header_value("If-None-Match"), etag)) {
    res.status = 304;
    return;
  }
  auto out = st.engine->Search(r);  // validates r
  if (!out.ok()) {
    res.headers.erase("ETag");
    return SendApiStatus(res, out.status(), req);
  }
  res.status = 200;
  res.set_content(FeedXml(*out, r.q, req.target), "application/atom+xml; charset=utf-8");
}

}  // namespace searchd
