// HttpGet: request with Connection: close, read until the server closes, split status line,
// headers and body. No chunked encoding (HTTP/1.0 answers are never chunked).
#include "tests/support/http_client.h"

#include <cctype>
#include <cstdio>

#include "tests/support/tcp_client.h"

namespace kmd::test {

HttpResult HttpGet(int port, std::string_view target, std::chrono::milliseconds timeout) {
  HttpResult result;
  TcpClient client;
  if (!client.Connect(port, timeout)) {
    result.error = "connect: " + client.error();
    return result;
  }
  const std::string request =
      "GET " + std::string(target) + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (!client.SendAll(request, timeout)) {
    result.error = "send: " + client.error();
    return result;
  }
  const std::string reply = client.ReadAll(timeout);
  const size_t header_end = reply.find("\r\n\r\n");
  if (!client.closed() || header_end == std::string::npos ||
      std::sscanf(reply.c_str(), "HTTP/%*d.%*d %d", &result.status) != 1) {
    result.status = 0;
    result.error = "no complete HTTP answer: " + reply.substr(0, 200);
    return result;
  }
  result.body = reply.substr(header_end + 4);
  return result;
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace kmd::test
