// The stored-article codec (store/stored_article.h): zstd frames with an
// optional dictionary trained on the archive, kept in the database metadata.
#include "store/stored_article.h"

#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <xapian.h>
#include <zstd.h>

#include "schema/schema.h"
#include "test_util.h"

using testutil::SyntheticArticles;
using tongwen::Code;
using tongwen::StoredCodec;

namespace {

size_t TotalBytes(const std::vector<std::string>& v) {
  size_t n = 0;
  for (const std::string& s : v) n += s.size();
  return n;
}

std::string RoundTrip(const StoredCodec& c, const std::string& json) {
  std::string back;
  tongwen::Status s = c.Decompress(c.Compress(json), &back);
  REQUIRE(s.ok());
  return back;
}

}  // namespace

TEST_CASE("StoredCodec round-trips article JSON, with and without a dictionary", "[stored]") {
  const std::vector<std::string> samples = SyntheticArticles(600, 1);
  REQUIRE(TotalBytes(samples) > StoredCodec::kMinSampleBytes);
  auto plain = StoredCodec::Plain();
  auto trained = StoredCodec::Train(samples);
  CHECK_FALSE(plain->has_dictionary());
  REQUIRE(trained->has_dictionary());
  // Articles the dictionary was not trained on.
  const std::vector<std::string> others = SyntheticArticles(20, 2);
  const std::vector<std::string> odd = {"{}", "{\"id\":\"x\",\"title\":{\"zh\":\"東京都 台灣\"}}",
                                        std::string(100000, 'a'), std::string("{\"b\":\"\\u0000\"}")};
  for (const auto* set : {&others, &odd})
    for (const std::string& j : *set) {
      CHECK(RoundTrip(*plain, j) == j);
      CHECK(RoundTrip(*trained, j) == j);
    }
  // The point of the dictionary: short articles compress better with it.
  size_t with = 0, without = 0;
  for (const std::string& j : others) {
    with += trained->Compress(j).size();
    without += plain->Compress(j).size();
  }
  CHECK(with < without * 9 / 10);
}

TEST_CASE("StoredCodec::Train needs enough sample bytes", "[stored]") {
  const std::vector<std::string> samples = SyntheticArticles(20, 3);  // ~40 KB
  CHECK_FALSE(StoredCodec::Train(samples)->has_dictionary());
  CHECK_FALSE(StoredCodec::Train({})->has_dictionary());
  CHECK_FALSE(StoredCodec::Train({"", ""}, 0)->has_dictionary());
}

TEST_CASE("StoredCodec::Decompress rejects what it cannot decode as Corruption", "[stored][errors]") {
  auto plain = StoredCodec::Plain();
  auto trained = StoredCodec::Train(SyntheticArticles(600, 4));
  auto other = StoredCodec::Train(SyntheticArticles(600, 5));
  REQUIRE(trained->has_dictionary());
  REQUIRE(other->has_dictionary());
  const std::string json = SyntheticArticles(1, 6)[0];
  const std::string frame = trained->Compress(json);
  std::string out;
  struct Row {
    const char* what;
    const StoredCodec* codec;
    std::string blob;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"empty", plain.get(), "", "not a zstd frame"},
      {"not zstd (old zlib-era data, plain JSON)", plain.get(), json, "not a zstd frame"},
      {"truncated header", trained.get(), frame.substr(0, 3), "not a zstd frame"},
      // 65 MB of zeros: a valid frame of a few KB whose header claims more
      // than any stored article can hold (not allocated for).
      {"oversized", plain.get(), plain->Compress(std::string(65 << 20, '\0')), "more than any article"},
      {"truncated body", trained.get(), frame.substr(0, frame.size() / 2), "zstd:"},
      {"dictionary frame, codec without one", plain.get(), frame, "the database has none"},
      {"another dictionary", other.get(), frame, "compressed with dictionary"},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    tongwen::Status s = r.codec->Decompress(r.blob, &out);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kCorruption);
    CHECK(s.message().find(r.message) != std::string::npos);
  }
  // A flipped byte inside the compressed data is caught by zstd or gives
  // other bytes, never a crash (the sanitizer build checks the latter).
  for (size_t i = frame.size() / 2; i < frame.size(); i += 7) {
    std::string bad = frame;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    (void)trained->Decompress(bad, &out);
  }
}

TEST_CASE("The dictionary travels in the database metadata", "[stored]") {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  SECTION("no metadata: no dictionary") {
    auto c = StoredCodec::ForDatabase(db);
    REQUIRE(c.ok());
    CHECK_FALSE((*c)->has_dictionary());
  }
  SECTION("written by one codec, read by another") {
    auto trained = StoredCodec::Train(SyntheticArticles(600, 7));
    REQUIRE(trained->has_dictionary());
    trained->WriteMetadata(db);
    auto c = StoredCodec::ForDatabase(db);
    REQUIRE(c.ok());
    CHECK((*c)->has_dictionary());
    const std::string json = SyntheticArticles(1, 8)[0];
    std::string back;
    REQUIRE((*c)->Decompress(trained->Compress(json), &back).ok());
    CHECK(back == json);
    // Frames carry the dictionary's id.
    const std::string frame = (*c)->Compress(json);
    CHECK(ZSTD_getDictID_fromFrame(frame.data(), frame.size()) != 0);
  }
  SECTION("metadata that is not a dictionary") {
    db.set_metadata(std::string(tongwen::schema::kMetaStoredDictionary), "not a dictionary");
    auto c = StoredCodec::ForDatabase(db);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == Code::kCorruption);
    CHECK(c.status().message().find("tongwen:stored-dictionary") != std::string::npos);
  }
}

TEST_CASE("StoredArticle reads the document data and names the docid when it cannot", "[stored][errors]") {
  auto codec = StoredCodec::Plain();
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  Xapian::Document good;
  tongwen::SetStoredArticle(*codec, "{\"id\":\"a\"}", &good);
  db.add_document(good);
  Xapian::Document missing;
  missing.add_term("Qb");
  db.add_document(missing);
  Xapian::Document garbage;
  garbage.set_data("{\"id\":\"c\"}");
  db.add_document(garbage);

  auto a = tongwen::StoredArticle(*codec, db.get_document(1));
  REQUIRE(a.ok());
  CHECK(*a == "{\"id\":\"a\"}");
  auto b = tongwen::StoredArticle(*codec, db.get_document(2));
  REQUIRE_FALSE(b.ok());
  CHECK(b.status().message() == "docid 2: stored article is missing");
  auto c = tongwen::StoredArticle(*codec, db.get_document(3));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == Code::kCorruption);
  CHECK(c.status().message().rfind("docid 3: stored article: ", 0) == 0);
}

TEST_CASE("StoredCodec is used from several threads at once", "[stored][threads]") {
  auto trained = StoredCodec::Train(SyntheticArticles(600, 9));
  REQUIRE(trained->has_dictionary());
  const std::vector<std::string> articles = SyntheticArticles(40, 10);
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (const std::string& j : articles) {
          std::string back;
          if (!trained->Decompress(trained->Compress(j), &back).ok() || back != j) ++bad[t];
        }
    });
  for (auto& th : threads) th.join();
  CHECK(bad == std::vector<int>(4, 0));
}
