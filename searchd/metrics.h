// Request counters and a latency histogram, exposed in Prometheus text format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace searchd {

class Metrics {
 public:
  // Records one finished request. `route` is the route pattern (e.g. "/search").
  void Record(const std::string& route, int status, double seconds);
  std::string Render(uint64_t documents, uint64_t position_memory_bytes) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                      0.05,   0.1,   0.2,   0.5,   1.0,  2.0};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::array<uint64_t, kBuckets.size() + 1> hist_{};
  double sum_ = 0;
  uint64_t count_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace searchd
