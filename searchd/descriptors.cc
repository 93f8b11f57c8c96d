#include "descriptors.h"

#include <sys/resource.h>

#include <algorithm>

namespace searchd {

DescriptorBudget PlanDescriptors(uint64_t limit, unsigned workers) {
  DescriptorBudget b;
  b.limit = limit;
  b.workers = std::max(1u, workers);
  const uint64_t usable = limit > kFixedFiles + kMinConnections ? limit - kFixedFiles - kMinConnections : 0;
  if (usable < kFilesPerWorker) {
    b.fits = false;
    b.workers = 0;
    return b;
  }
  b.workers = static_cast<unsigned>(std::min<uint64_t>(b.workers, usable / kFilesPerWorker));
  b.reserved = kFixedFiles + b.workers * kFilesPerWorker;
  b.connections = std::min(kMaxConnections, limit - b.reserved);
  return b;
}

DescriptorBudget RaiseAndPlanDescriptors(unsigned workers) {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) return PlanDescriptors(1024, workers);
  if (nofile.rlim_cur < nofile.rlim_max) {
    rlimit raised = nofile;
    raised.rlim_cur = nofile.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) nofile = raised;
  }
  // RLIM_INFINITY is not a usable count; the connection cap is bounded anyway.
  const uint64_t limit = nofile.rlim_cur == RLIM_INFINITY ? (1u << 20) : nofile.rlim_cur;
  return PlanDescriptors(limit, workers);
}

std::string Describe(const DescriptorBudget& b) {
  return "descriptors: limit " + std::to_string(b.limit) + ", " + std::to_string(b.reserved) + " reserved (" +
         std::to_string(b.workers) + " workers x " + std::to_string(kFilesPerWorker) +
         " database files, log, listener), at most " + std::to_string(b.connections) + " connections";
}

}  // namespace searchd
