#include "store/stored_article.h"

#include <mutex>
#include <stdexcept>

#include <xapian.h>
#include <zdict.h>
#include <zstd.h>

#include "schema/schema.h"

namespace tongwen {
namespace {

// One compression and one decompression context per thread (a context is
// not thread-safe; creating one per call costs more than the call).
struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> c(ZSTD_createCCtx());
  return c.get();
}

ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> c(ZSTD_createDCtx());
  return c.get();
}

// No stored article is larger than this (input lines are at most 8 MB,
// and re-serialising can at most sextuple one: \u0001 for a control byte);
// a frame header that claims more is corrupt, and is not allocated for.
constexpr unsigned long long kMaxArticleBytes = 64ull << 20;

}  // namespace

struct StoredCodec::Impl {
  std::string dictionary;  // empty: none
  unsigned dict_id = 0;
  // The compression tables (about a megabyte) are made on the first
  // Compress: readers, one codec per searchd thread, never need them.
  std::once_flag cdict_once;
  ZSTD_CDict* cdict = nullptr;
  ZSTD_DDict* ddict = nullptr;
  ~Impl() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
  }
};

StoredCodec::StoredCodec(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StoredCodec::~StoredCodec() = default;

std::shared_ptr<const StoredCodec> StoredCodec::Plain() {
  static const std::shared_ptr<const StoredCodec> plain(new StoredCodec(std::make_unique<Impl>()));
  return plain;
}

std::unique_ptr<StoredCodec::Impl> StoredCodec::WithDictionary(std::string dict) {
  auto impl = std::make_unique<StoredCodec::Impl>();
  impl->dict_id = ZDICT_getDictID(dict.data(), dict.size());
  if (impl->dict_id == 0) return nullptr;
  impl->dictionary = std::move(dict);
  impl->ddict = ZSTD_createDDict(impl->dictionary.data(), impl->dictionary.size());
  if (!impl->ddict) return nullptr;
  return impl;
}

std::shared_ptr<const StoredCodec> StoredCodec::Train(const std::vector<std::string>& samples,
                                                      size_t min_bytes) {
  std::string joined;
  std::vector<size_t> sizes;
  for (const std::string& s : samples) {
    if (s.empty()) continue;
    joined += s;
    sizes.push_back(s.size());
  }
  if (joined.size() < min_bytes || joined.empty()) return Plain();
  std::string dict(kDictionaryBytes, '\0');
  const size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), joined.data(), sizes.data(),
                                         static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) return Plain();  // e.g. samples too uniform to learn from
  dict.resize(n);
  std::unique_ptr<Impl> impl = WithDictionary(std::move(dict));
  if (!impl) return Plain();
  return std::shared_ptr<const StoredCodec>(new StoredCodec(std::move(impl)));
}

Result<std::shared_ptr<const StoredCodec>> StoredCodec::ForDatabase(const Xapian::Database& db) {
  std::string dict = db.get_metadata(std::string(schema::kMetaStoredDictionary));
  if (dict.empty()) return Plain();
  std::unique_ptr<Impl> impl = WithDictionary(std::move(dict));
  if (!impl)
    return Status::Corruption("metadata " + std::string(schema::kMetaStoredDictionary) +
                              " is not a zstd dictionary");
  return std::shared_ptr<const StoredCodec>(new StoredCodec(std::move(impl)));
}

void StoredCodec::WriteMetadata(Xapian::WritableDatabase& db) const {
  db.set_metadata(std::string(schema::kMetaStoredDictionary), impl_->dictionary);
}

bool StoredCodec::has_dictionary() const { return impl_->dict_id != 0; }

std::string StoredCodec::Compress(std::string_view json) const {
  if (impl_->dict_id) {
    std::call_once(impl_->cdict_once, [this] {
      impl_->cdict = ZSTD_createCDict(impl_->dictionary.data(), impl_->dictionary.size(), kLevel);
    });
    if (!impl_->cdict) throw std::runtime_error("zstd: cannot make the dictionary's compression tables");
  }
  std::string out(ZSTD_compressBound(json.size()), '\0');
  ZSTD_CCtx* c = ThreadCCtx();
  const size_t n =
      impl_->cdict
          ? ZSTD_compress_usingCDict(c, out.data(), out.size(), json.data(), json.size(), impl_->cdict)
          : ZSTD_compressCCtx(c, out.data(), out.size(), json.data(), json.size(), kLevel);
  // With a buffer of ZSTD_compressBound bytes only allocation can fail.
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Status StoredCodec::Decompress(std::string_view blob, std::string* json) const {
  const unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return Status::Corruption("not a zstd frame of known size");
  if (size > kMaxArticleBytes)
    return Status::Corruption("frame claims " + std::to_string(size) + " bytes, more than any article");
  const unsigned frame_dict = ZSTD_getDictID_fromFrame(blob.data(), blob.size());
  if (frame_dict != 0 && frame_dict != impl_->dict_id)
    return Status::Corruption("compressed with dictionary " + std::to_string(frame_dict) +
                              ", the database has " +
                              (impl_->dict_id ? std::to_string(impl_->dict_id) : std::string("none")));
  json->resize(size);
  ZSTD_DCtx* d = ThreadDCtx();
  const size_t n = frame_dict ? ZSTD_decompress_usingDDict(d, json->data(), json->size(), blob.data(),
                                                           blob.size(), impl_->ddict)
                              : ZSTD_decompressDCtx(d, json->data(), json->size(), blob.data(), blob.size());
  if (ZSTD_isError(n)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != size) return Status::Corruption("frame is shorter than its header says");
  return Status::Ok();
}

void SetStoredArticle(const StoredCodec& codec, std::string_view json, Xapian::Document* doc) {
  doc->set_data(codec.Compress(json));
}

Result<std::string> StoredArticle(const StoredCodec& codec, const Xapian::Document& doc) {
  const std::string blob = doc.get_data();
  auto where = [&] { return "docid " + std::to_string(doc.get_docid()) + ": stored article"; };
  if (blob.empty()) return Status::Corruption(where() + " is missing");
  std::string json;
  Status s = codec.Decompress(blob, &json);
  if (!s.ok()) return Status::Corruption(where() + ": " + s.message());
  return json;
}

}  // namespace tongwen
