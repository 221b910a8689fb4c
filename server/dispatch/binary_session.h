// BinarySession: one binary-protocol connection's request executor. Parses every complete request
// of a read (pipelining), runs it against the Store and appends memcached 1.6.18's exact answer to
// an OutputBuffer (GET values zero-copy through ItemRef pins).
// Thread-safety: used only on its connection's worker thread (net::Session contract).
// Invariants: responses leave in request order; quiet opcodes suppress exactly what memcached
// suppresses; once close is reported, nothing further is parsed.
#pragma once

#include <string_view>
#include <vector>

#include "protocol/binary/codec.h"
#include "server/dispatch/protocol_session.h"

namespace kmd::dispatch {

class BinarySession final : public ProtocolSession {
 public:
  explicit BinarySession(DispatchContext& ctx, net::WorkerMemory* memory = nullptr);

  net::ProcessResult Process(std::string_view input) override;

 private:
  using Request = protocol::binary::Request;
  using Status = protocol::binary::Status;

  // Runs one complete request; returns true when the connection must close after the output.
  bool Execute(const Request& req);
  void GetOrTouch(const Request& req);
  void Update(const Request& req);
  void Concat(const Request& req);
  // The answers every store-family opcode shares (stored, CAS mismatch, out of memory); false
  // when the caller must answer the outcome itself.
  bool AnswerStoreOutcome(const Request& req, const cache::StoreResult& stored);
  void Remove(const Request& req);
  void Arith(const Request& req);
  void Flush(const Request& req);
  void Stat(const Request& req);

  // Header plus body parts, all copied into the scratch buffer.
  void Respond(const Request& req, Status status, uint64_t cas, std::string_view extras,
               std::string_view key, std::string_view value);
  // An error with memcached's text body (`message` overrides the generic one for the status).
  void Error(const Request& req, Status status, const char* message = nullptr);
  void StatLine(const Request& req, std::string_view name, std::string_view value);
  StatLines stat_scratch_;
};

}  // namespace kmd::dispatch
