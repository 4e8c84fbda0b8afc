// credential_process: run the configured command and read credentials from its output.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "firebreak/aws/auth/provider_support.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

constexpr size_t max_output_bytes = 1 << 20;  // far beyond any credentials document

struct ProcessResult {
  int wait_status = 0;
  std::string out;
  std::string err;
  std::string failure;  // set when the process was stopped: a timeout, too much output
};

class Fd {
 public:
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw ConfigError(
        fmt::format("could not run credential_process: pipe: {}", std::strerror(errno)));
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// /bin/sh -c COMMAND with stdout and stderr captured; stdin is inherited so that a helper can
// ask its own questions on the terminal. Uses posix_spawn, which is safe in a threaded process.
ProcessResult run_shell(const std::string& command, std::chrono::seconds timeout) {
  Fd out_read, out_write, err_read, err_write;
  make_pipe(out_read, out_write);
  make_pipe(err_read, err_write);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  // The helper gets no descriptor of ours beyond the standard three.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);

  std::string command_copy = command;
  char sh[] = "sh";
  char dash_c[] = "-c";
  char* argv[] = {sh, dash_c, command_copy.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  err_write.reset();
  if (rc != 0) {
    throw ConfigError(fmt::format("could not start credential_process: {}", std::strerror(rc)));
  }

  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.failure = fmt::format("did not finish within {} seconds", timeout.count());
      break;
    }
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      result.failure = fmt::format("poll: {}", std::strerror(errno));
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      sinks[i]->append(buffer, static_cast<size_t>(n));
      if (sinks[i]->size() > max_output_bytes) {
        result.failure = "printed more than 1 MiB";
        fds[0].fd = fds[1].fd = -1;
      }
    }
  }
  if (!result.failure.empty()) ::kill(pid, SIGKILL);
  while (::waitpid(pid, &result.wait_status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

std::string first_line(std::string_view text) {
  std::string line = trim(text.substr(0, text.find('\n')));
  constexpr size_t max_length = 300;
  if (line.size() > max_length) line = line.substr(0, max_length) + "...";
  return line;
}

}  // namespace

ProcessProvider::ProcessProvider(std::shared_ptr<const SharedConfig> config, std::string profile,
                                 std::chrono::seconds timeout)
    : config_(std::move(config)), profile_(std::move(profile)), timeout_(timeout) {}

std::optional<Credentials> ProcessProvider::load() {
  auto command = config_->get(profile_, "credential_process");
  if (!command || trim(*command).empty()) return std::nullopt;
  // The command is never named in errors: people put tokens on command lines.
  std::string what = fmt::format("the credential_process of profile \"{}\"", profile_);

  ProcessResult result = run_shell(*command, timeout_);
  if (!result.failure.empty()) throw ConfigError(fmt::format("{} {}", what, result.failure));
  std::string stderr_line = first_line(result.err);
  std::string detail = stderr_line.empty() ? "" : ": " + stderr_line;
  if (WIFSIGNALED(result.wait_status)) {
    throw ConfigError(
        fmt::format("{} was killed by signal {}{}", what, WTERMSIG(result.wait_status), detail));
  }
  if (WEXITSTATUS(result.wait_status) != 0) {
    throw ConfigError(fmt::format("{} exited with status {}{}", what,
                                  WEXITSTATUS(result.wait_status), detail));
  }

  // The output holds secrets: errors below describe it, never quote it.
  Json parsed = Json::parse(result.out, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw ConfigError(fmt::format("{} printed something other than a JSON object", what));
  }
  auto version = parsed.find("Version");
  if (version == parsed.end() || !version->is_number_integer() || version->get<int>() != 1) {
    throw ConfigError(fmt::format("{} must print \"Version\": 1", what));
  }
  return detail::credentials_from_json(parsed, "SessionToken", "custom-process", what);
}

}  // namespace firebreak::aws
