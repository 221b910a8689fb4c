// DispatchSessionFactory: binary or text (incl. meta) session per connection.
#include "server/dispatch/session_factory.h"

#include "server/dispatch/binary_session.h"
#include "server/dispatch/text_session.h"

namespace kmd::dispatch {

std::unique_ptr<net::Session> DispatchSessionFactory::Create(bool binary,
                                                             net::WorkerMemory& memory) {
  if (binary) return std::make_unique<BinarySession>(ctx_, &memory);
  return std::make_unique<TextSession>(ctx_, &memory);
}

}  // namespace kmd::dispatch
