// Fuzzes the body of POST /related (searchd/draft_body.cc, issue 25): any
// bytes are read or refused, never crash, and what is read holds a text
// (the engine's to check further), while a refusal names a 400 with a code.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "draft_body.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "draft_body invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  tongwen::DraftRequest d;
  searchd::BodyError err;
  if (searchd::ParseDraftBody(body, &d, &err)) {
    if (!err.code.empty()) Fail("accepted with an error code");
    if (body.find("\"text\"") == std::string_view::npos && body.find("\\u") == std::string_view::npos)
      Fail("accepted without a text field");
    if (d.limit > (uint64_t{1} << 40) || d.snippet_length > (uint64_t{1} << 40))
      Fail("an integer not clamped");
  } else {
    if (err.status != 400) Fail("a refusal that is not a 400");
    if (err.code != "bad_request" && err.code != "missing_parameter" && err.code != "invalid_parameter")
      Fail("an unknown error code");
    if (err.message.empty()) Fail("a refusal without a message");
  }
  searchd::IsJsonContentType(body.substr(0, 64));
  return 0;
}
