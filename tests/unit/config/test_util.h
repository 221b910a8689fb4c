// Helpers for the config unit tests: run Load() on a vector of arguments, write a temp YAML file.
// Single-threaded test use only; temp files are removed by the TempFile destructor.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "config/load.h"

namespace kmd::config::testing {

inline LoadOutcome Run(std::vector<std::string> args) {
  args.insert(args.begin(), "kotoba-memd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return Load(static_cast<int>(args.size()), argv.data());
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/kmd-config-test-XXXXXX";
    const int fd = mkstemp(name);
    path_ = name;
    close(fd);
    std::ofstream(path_) << text;
  }
  ~TempFile() { unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace kmd::config::testing
