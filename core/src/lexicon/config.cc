#include "tongwen/config.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace tongwen {

std::string DefaultDictionaryPath() {
  if (const char* env = std::getenv("TONGWEN_DICTIONARY"); env && *env) return env;
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  std::filesystem::path p =
      std::filesystem::path(buf).parent_path().parent_path() / "share" / "tongwen" / "cedict.lex";
  std::error_code ec;
  return std::filesystem::exists(p, ec) ? p.string() : std::string();
}

Result<std::unique_ptr<Lexicon>> LoadDictionary(const std::string& path) {
  std::string p = path.empty() ? DefaultDictionaryPath() : path;
  if (p.empty()) return std::unique_ptr<Lexicon>();
  return Lexicon::Load(p);
}

}  // namespace tongwen
