// ChildProcess: fork/exec with the output in a temporary file; all descriptors above 2 are closed
// in the child so test sockets (thousands in the hostile suite) do not leak into it.
#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace kmd::test {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  char tmpl[] = "/tmp/kmd-child-XXXXXX";
  const int out_fd = mkostemp(tmpl, O_CLOEXEC);
  if (out_fd < 0) throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
  output_path_ = tmpl;
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    close_range(3, ~0U, 0);
    // The test process may block SIGPIPE/SIGTERM; the child must start with defaults.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_fd);
  pid_ = pid;
  running_ = true;
}

ChildProcess::~ChildProcess() { Release(); }

ChildProcess::ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Release();
    pid_ = std::exchange(other.pid_, -1);
    running_ = std::exchange(other.running_, false);
    exit_code_ = other.exit_code_;
    term_signal_ = other.term_signal_;
    output_path_ = std::exchange(other.output_path_, std::string());
  }
  return *this;
}

void ChildProcess::Release() {
  Stop();
  if (!output_path_.empty()) unlink(output_path_.c_str());
  output_path_.clear();
}

void ChildProcess::Reap(int status) {
  running_ = false;
  if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) term_signal_ = WTERMSIG(status);
}

bool ChildProcess::alive() {
  if (!running_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) Reap(status);
  return running_;
}

bool ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (!alive()) return true;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (!alive()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) Reap(status);
  running_ = false;
  return false;
}

std::string ChildProcess::output() const {
  std::ifstream in(output_path_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ChildProcess::WaitForLine(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const bool running = alive();  // before reading: output written before exit is not missed
    const std::string text = output();
    const size_t at = text.find(needle);
    if (at != std::string::npos) {
      const size_t begin = text.rfind('\n', at);
      const size_t end = text.find('\n', at);
      const size_t from = begin == std::string::npos ? 0 : begin + 1;
      return text.substr(from, end == std::string::npos ? std::string::npos : end - from);
    }
    if (!running || Clock::now() >= deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace kmd::test
