// TextSession: one text-protocol connection's request executor (classic commands here, meta
// commands in meta_commands.cc). Parses every complete request of a read (pipelining), runs it
// against the Store and appends memcached 1.6.18's exact answer to an OutputBuffer; GET values go
// out zero-copy through ItemRef pins.
// Thread-safety: used only on its connection's worker thread (net::Session contract).
// Memory: the parsed Request (tokens, meta flags, decoded key: about 1.3 KiB) lives in the
// worker's batch arena for one Process() call, not in the session, so idle connections hold none;
// multi-get keys are never listed: KeyIterator walks them in place in the read buffer.
// Invariants: responses leave in request order; noreply suppresses exactly what memcached's
// out_string() suppresses; once close is reported, nothing further is parsed.
#pragma once

#include <string_view>
#include <vector>

#include "protocol/text/text_codec.h"
#include "server/dispatch/protocol_session.h"

namespace kmd::dispatch {

class TextSession final : public ProtocolSession {
 public:
  explicit TextSession(DispatchContext& ctx, net::WorkerMemory* memory = nullptr);

  net::ProcessResult Process(std::string_view input) override;

 private:
  using Request = protocol::text::Request;

  // Runs one complete request; returns true when the connection must close after the output.
  bool Execute(const Request& req);
  void Get(const Request& req);
  void Update(const Request& req);
  void Arith(const Request& req);
  void Delete(const Request& req);
  void Touch(const Request& req);
  void FlushAll(const Request& req);
  void Stats(const Request& req);
  bool Shutdown(const Request& req);
  void CacheMemlimit(const Request& req);
  // A rejected request: memcached's side effects (a failed SET unlinks the old item) and reply.
  void Rejected(const Request& req, const protocol::text::ParseResult& r);
  // One reply line; nothing under noreply.
  void Reply(const Request& req, std::string_view line);
  void Line(std::string_view line);

  StatLines stat_scratch_;
};

}  // namespace kmd::dispatch
