// ChildProcess: a program started in the background for the length of a test (a daemon, a
// Prometheus server), its stdout and stderr captured in a temporary file. The object owns the
// process: its destructor stops it (SIGTERM, then SIGKILL after 5 s) and removes the file. The
// child gets PR_SET_PDEATHSIG, so a crashed test binary leaves no stray process. Not thread-safe;
// one owner. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace kmd::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts argv (argv[0] is a path, or a name looked up on PATH). Throws std::runtime_error if it
  // cannot be started; an exec failure shows as exit code 127.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Whether the process is still running (reaps it if it has exited).
  bool alive();
  // Whether it was running when last looked at (no reaping; for const callers).
  bool running() const { return running_; }
  // How it ended: exit code, or -1 while running / when killed by a signal.
  int exit_code() const { return exit_code_; }
  int term_signal() const { return term_signal_; }

  // Everything it wrote to stdout and stderr so far.
  std::string output() const;
  // Waits until a line of the output contains `needle` and returns that line; "" if the process
  // exits or `timeout` passes first.
  std::string WaitForLine(std::string_view needle, std::chrono::milliseconds timeout);

  // SIGTERM, wait up to `grace`, then SIGKILL. Returns true if it exited within the grace
  // period. Idempotent.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  void Reap(int status);
  void Release();

  pid_t pid_ = -1;
  bool running_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
  std::string output_path_;
};

}  // namespace kmd::test
