#include "tongwen/status.h"

#include <catch2/catch.hpp>

using tongwen::Code;
using tongwen::Result;
using tongwen::Status;

TEST_CASE("Status carries code, message and the place of the error", "[status]") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "OK");
  Status bad = Status::InvalidArgument("must be at most 100", "limit");
  CHECK_FALSE(bad.ok());
  CHECK(bad.code() == Code::kInvalidArgument);
  CHECK(std::string(bad.code_name()) == "invalid_argument");
  CHECK(bad.where() == "limit");
  CHECK(bad.ToString() == "invalid_argument: limit: must be at most 100");
  CHECK(std::string(Status::NotFound("x").code_name()) == "not_found");
  CHECK(std::string(Status::Corruption("x").code_name()) == "corruption");
}

TEST_CASE("Result holds a value or a status", "[status]") {
  Result<int> v = 42;
  REQUIRE(v.ok());
  CHECK(*v == 42);
  CHECK(v.status().ok());
  Result<int> e = Status::IOError("disk");
  CHECK_FALSE(e.ok());
  CHECK(e.status().code() == Code::kIOError);
  CHECK(e.status().message() == "disk");
}
