// searchd's JsonWriter: structure, escaping, numbers, invalid UTF-8.
#include "json_writer.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using searchd::JsonWriter;

namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  JsonWriter::AppendEscaped(s, &out);
  return out;
}

}  // namespace

TEST_CASE("JsonWriter: objects, arrays, commas and nulls", "[json]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("total").Uint(12);
  w.Key("exact").Bool(false);
  w.Key("hits").BeginArray();
  for (int i = 0; i < 2; ++i) {
    w.BeginObject();
    w.Key("id").String("a" + std::to_string(i));
    w.Key("url").StringOrNull("");
    w.Key("tags").BeginArray().EndArray();
    w.Key("title").BeginObject().Key("en").String("x").Key("zh").String("東京").EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("empty").BeginObject().EndObject();
  w.Key("raw").Raw("[1,2]");
  w.Key("n").Null();
  w.EndObject();
  CHECK(
      out ==
      R"({"total":12,"exact":false,"hits":[{"id":"a0","url":null,"tags":[],"title":{"en":"x","zh":"東京"}},)"
      R"({"id":"a1","url":null,"tags":[],"title":{"en":"x","zh":"東京"}}],"empty":{},"raw":[1,2],"n":null})");
  CHECK(nlohmann::json::parse(out)["hits"][1]["title"]["zh"] == "東京");
}

TEST_CASE("JsonWriter: numbers", "[json]") {
  struct Row {
    double v;
    const char* text;
  };
  const std::vector<Row> rows = {{1.5, "1.5"},    {12.345, "12.345"}, {0, "0"},    {-2.25, "-2.25"},
                                 {1e-7, "1e-07"}, {3, "3"},           {0.1, "0.1"}};
  for (const Row& r : rows) {
    std::string out;
    JsonWriter(&out).Double(r.v);
    CHECK(out == r.text);
    CHECK(nlohmann::json::parse(out).get<double>() == r.v);
  }
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    std::string out;
    JsonWriter(&out).Double(bad);
    CHECK(out == "null");
  }
  std::string out;
  JsonWriter(&out).Uint(18446744073709551615ull);
  CHECK(out == "18446744073709551615");
}

TEST_CASE("JsonWriter: string escaping and invalid UTF-8", "[json]") {
  struct Row {
    std::string in, out;
  };
  const std::vector<Row> rows = {
      {"plain", "plain"},
      {"say \"hi\" \\ bye", "say \\\"hi\\\" \\\\ bye"},
      {"a\nb\tc\rd\be\ff", "a\\nb\\tc\\rd\\be\\ff"},
      {std::string("\x01\x1f", 2), "\\u0001\\u001f"},
      {std::string("nul\0!", 5), "nul\\u0000!"},
      {"\x7f", "\x7f"},
      {"<mark>台灣</mark> & 東京都", "<mark>台灣</mark> & 東京都"},
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},                  // 4-byte UTF-8 passes through
      {"a\x80z", "a\xEF\xBF\xBDz"},                              // lone continuation byte
      {"\xE4\xB8", "\xEF\xBF\xBD\xEF\xBF\xBD"},                  // truncated sequence
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                  // overlong
      {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // surrogate
      {"\xF5\x80\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // above U+10FFFF
  };
  for (const Row& r : rows) {
    INFO(r.in);
    CHECK(Escaped(r.in) == r.out);
  }
}

TEST_CASE("JsonWriter: random strings give valid JSON; valid UTF-8 round-trips", "[json][property]") {
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {
      "a", "\"", "\\", "\n", std::string(1, '\0'), "\x01", "台", "東京", "\xF0\x9F\x98\x80", "é"};
  for (int i = 0; i < 2000; ++i) {
    std::string valid, any;
    for (int k = rng() % 12; k > 0; --k) valid += pieces[rng() % pieces.size()];
    for (int k = rng() % 12; k > 0; --k) any.push_back(static_cast<char>(rng()));
    std::string out;
    JsonWriter w(&out);
    w.BeginArray().String(valid).String(any).EndArray();
    nlohmann::json j = nlohmann::json::parse(out);  // throws if not JSON
    CHECK(j[0] == valid);
    CHECK(j[1].is_string());
  }
}
