// Issue 28: searchd's descriptor budget (searchd/descriptors.h).
#include "descriptors.h"

#include <catch2/catch.hpp>

using searchd::PlanDescriptors;

TEST_CASE("issue 28: the workers' database files are reserved before connections get descriptors",
          "[descriptors]") {
  const auto b = PlanDescriptors(20000, 16);
  CHECK(b.fits);
  CHECK(b.workers == 16);
  CHECK(b.reserved == searchd::kFixedFiles + 16 * searchd::kFilesPerWorker);
  CHECK(b.connections == 10000);  // capped

  const auto mid = PlanDescriptors(1024, 16);
  CHECK(mid.workers == 16);
  CHECK(mid.reserved + mid.connections == 1024);

  // Under `ulimit -n 64`, 16 workers do not fit: fewer run, and the
  // connections still get at least kMinConnections.
  const auto low = PlanDescriptors(64, 16);
  CHECK(low.fits);
  CHECK(low.workers >= 1);
  CHECK(low.workers < 16);
  CHECK(low.connections >= searchd::kMinConnections);
  CHECK(low.reserved + low.connections == 64);

  CHECK_FALSE(PlanDescriptors(30, 16).fits);
}
