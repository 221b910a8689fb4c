// The kmd-sim binary end to end on small generated traces: exact LRU miss counts and the output
// line format, the plot file, exit codes and messages for bad input; and LRU on the shared
// cloudphysics trace reproduces the traces README's reference miss ratios.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/sim/options.h"
#include "bench/sim/replay.h"
#include "bench/sim/trace.h"

namespace kmd::sim {
namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code = -1;
  std::string out;  // stdout and stderr, in that order
};

Run Sim(const std::string& args) {
  const fs::path err = fs::temp_directory_path() / ("kmd_sim_err_" + std::to_string(::getpid()));
  const std::string cmd = std::string(KMD_SIM_PATH) + " " + args + " 2>" + err.string();
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err);
  r.out.append(std::istreambuf_iterator<char>(e), {});
  fs::remove(err);
  return r;
}

struct TraceFile {
  explicit TraceFile(const std::string& text)
      : path((fs::temp_directory_path() / ("kmd_sim_trace_" + std::to_string(::getpid())))
                 .string()) {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TraceFile() { fs::remove(path); }
  std::string path;
};

TEST_CASE("kmd-sim prints one exact line per policy and size, then the table") {
  // LRU over 1 2 3 1 4 2 5 1: 2 objects miss all 8; 3 objects hit only the 4th; 5 = distinct.
  TraceFile t("0 1\n1 2\n2 3\n3 1\n4 4\n5 2\n6 5\n7 1\n");
  const std::string plot = t.path + ".svg";
  Run r = Sim("--trace " + t.path + " --policy lru --size 2,60%,5 --plot " + plot);
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("policy=lru size=2 requests=8 misses=8 miss_ratio=1.000000\n"
                    "policy=lru size=3 requests=8 misses=7 miss_ratio=0.875000\n"
                    "policy=lru size=5 requests=8 misses=5 miss_ratio=0.625000\n"
                    "\nmiss ratio by cache size (objects); rows: policy, columns: size\n"
                    "policy           2   3 (60%)         5\n"
                    "lru       1.000000  0.875000  0.625000\n",
                    0) == 0);
  CHECK(r.out.find("M requests/s") != std::string::npos);
  std::ifstream svg(plot);
  const std::string text{std::istreambuf_iterator<char>(svg), {}};
  CHECK(text.rfind("<svg ", 0) == 0);
  CHECK(text.find(">lru</text>") != std::string::npos);
  fs::remove(plot);
}

TEST_CASE("kmd-sim --bytes: capacity in bytes, percentages of the distinct objects' bytes") {
  // 5 bytes: 1(2) 2(2) hit 1, 3(3) evicts 2, hit 1. Distinct bytes 7; 80% = 5. In 3 bytes no
  // two objects fit: all miss.
  TraceFile t("0 1 2\n1 2 2\n2 1 2\n3 3 3\n4 1 2\n");
  Run r = Sim("--trace " + t.path + " --policy lru --size 80%,3 --bytes --shards 1");
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("policy=lru size=5 requests=5 misses=3 miss_ratio=0.600000\n"
                    "policy=lru size=3 requests=5 misses=5 miss_ratio=1.000000\n",
                    0) == 0);
  CHECK(r.out.find("(bytes)") != std::string::npos);
}

TEST_CASE("kmd-sim exit codes: 2 for bad flags, values and lines; 1 for unreadable traces") {
  TraceFile t("0 1\n1 2\n2 x y z\n");
  Run bad_line = Sim("--trace " + t.path + " --policy lru --size 1");
  CHECK(bad_line.exit_code == 2);
  CHECK(bad_line.out.find(t.path + ": line 3: ") != std::string::npos);

  Run bad_flag = Sim("--trace " + t.path + " --policy lru --size 1 --speed 9");
  CHECK(bad_flag.exit_code == 2);
  CHECK(bad_flag.out.find("unknown flag '--speed'") != std::string::npos);

  Run bad_size = Sim("--trace " + t.path + " --policy lru --size 200%");
  CHECK(bad_size.exit_code == 2);
  CHECK(bad_size.out.find("--size: invalid value '200%'") != std::string::npos);

  Run missing = Sim("--trace /nonexistent/trace --policy lru --size 1");
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("/nonexistent/trace: cannot open") != std::string::npos);

  CHECK(Sim("--help").exit_code == 0);
}

TEST_CASE("LRU on cloudphysics_io reproduces the traces README (0.838 / 0.805)") {
  const std::string path = "/work/shared/traces/cloudphysics_io.txt.gz";
  if (!fs::exists(path)) {
    MESSAGE("skipped: " << path << " is absent");
    return;
  }
  DecodeResult d = ReadTrace(path, TraceFormat::kText);
  REQUIRE(d.trace);
  CHECK(d.trace->gets == 113872);
  const TraceStats stats = ComputeStats(*d.trace);
  CHECK(stats.distinct == 48974);
  const double want[] = {0.838, 0.805};
  const char* sizes[] = {"1%", "10%"};
  for (int i = 0; i < 2; ++i) {
    const uint64_t cap = ResolveSize(*ParseSize(sizes[i]), stats, false);
    const double got = Replay(*d.trace, PolicyKind::kLru, cap, false).miss_ratio();
    CAPTURE(sizes[i]);
    CHECK(std::round(got * 1000) / 1000 == doctest::Approx(want[i]).epsilon(1e-9));
  }
}

}  // namespace
}  // namespace kmd::sim
