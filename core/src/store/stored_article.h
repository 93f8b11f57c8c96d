// Internal: how an article's JSON is stored in its document.
//
// The document data holds the article JSON (as the indexer re-serialised
// it) compressed with zstd. Glass would otherwise compress it with zlib at
// level 6, with no way to choose another codec, and inflating a page of
// articles was a noticeable part of a plain search. Glass still tries zlib
// on the zstd frame, finds it does not shrink, and stores it as it is, so a
// read inflates nothing; a rebuild spends about what it spent on zlib
// before. (A value slot avoids that try, but glass packs large value chunks
// loosely, in more space than the frames.)
//
// A rebuild trains a zstd dictionary on a sample of its input (the first
// IngestOptions::dictionary_sample_bytes) and stores it in the database metadata
// (schema::kMetaStoredDictionary); upserts compress with the same
// dictionary. News articles are short, and a dictionary of their common
// words and JSON keys makes them smaller than zlib does. A small
// input (under kMinSampleBytes) gets no dictionary.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tongwen/status.h"

namespace Xapian {
class Database;
class Document;
class WritableDatabase;
}  // namespace Xapian

namespace tongwen {

class StoredCodec {
 public:
  // Train learns a dictionary of kDictionaryBytes from at least
  // kMinSampleBytes of articles (zstd's guideline is 100 times the
  // dictionary; rebuild gives it 8 MB).
  static constexpr size_t kMinSampleBytes = 1 << 20;
  static constexpr size_t kDictionaryBytes = 110 << 10;
  static constexpr int kLevel = 3;

  ~StoredCodec();
  StoredCodec(const StoredCodec&) = delete;
  StoredCodec& operator=(const StoredCodec&) = delete;

  // A codec without a dictionary.
  static std::shared_ptr<const StoredCodec> Plain();
  // A codec with a dictionary trained on `samples` (article JSON); without
  // one if the samples hold fewer than min_bytes or training fails.
  static std::shared_ptr<const StoredCodec> Train(const std::vector<std::string>& samples,
                                                  size_t min_bytes = kMinSampleBytes);
  // The codec of a database: its stored dictionary, if it has one.
  // Corruption if the stored dictionary is not a zstd dictionary.
  static Result<std::shared_ptr<const StoredCodec>> ForDatabase(const Xapian::Database& db);

  // Records the dictionary (if any) in db's metadata, for upserts and readers.
  void WriteMetadata(Xapian::WritableDatabase& db) const;
  bool has_dictionary() const;

  // Thread-safe: each thread compresses and decompresses with a context of
  // its own.
  std::string Compress(std::string_view json) const;
  // Corruption if `blob` is not a zstd frame this codec can decompress.
  Status Decompress(std::string_view blob, std::string* json) const;

 private:
  struct Impl;
  explicit StoredCodec(std::unique_ptr<Impl> impl);
  // Null if `dict` is not a zstd dictionary.
  static std::unique_ptr<Impl> WithDictionary(std::string dict);
  std::unique_ptr<Impl> impl_;
};

// Stores `json` as the document data of `doc`.
void SetStoredArticle(const StoredCodec& codec, std::string_view json, Xapian::Document* doc);
// The article JSON of `doc`; Corruption, naming the docid, if it is missing
// or cannot be decompressed.
Result<std::string> StoredArticle(const StoredCodec& codec, const Xapian::Document& doc);

}  // namespace tongwen
