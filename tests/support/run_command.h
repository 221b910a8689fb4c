// RunCommand: runs a child program with a hard wall-clock limit and collects its output.
// A child (and its process group) that outlives the limit is killed, so a hanging client or
// daemon fails a test instead of hanging the suite. Safe to call from any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace kmd::test {

struct CommandResult {
  int exit_code = -1;      // the child's exit status; -1 when it died by a signal or timed out
  int term_signal = 0;     // the signal that ended it, 0 if it exited
  bool timed_out = false;  // true when RunCommand killed it at the deadline
  std::string out;         // everything it wrote to stdout
  std::string err;         // everything it wrote to stderr
};

struct CommandOptions {
  std::chrono::milliseconds timeout{60000};
  std::string cwd;               // empty: inherit
  std::string stdin_path;        // file to read as stdin; empty: /dev/null
  std::vector<std::string> env;  // NAME=VALUE entries added to (or replacing) the inherited ones
};

// argv[0] is looked up on PATH when it has no slash. stdin is options.stdin_path or /dev/null.
CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options = {});

// Convenience: default options with only the timeout changed.
CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A one-line rendering of a result for failure messages (exit code, signal, tails of output).
std::string Describe(const CommandResult& result);

}  // namespace kmd::test
