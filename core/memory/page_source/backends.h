// The page-source backends' constructors, for MakePageSource (page_source.cc) only. Each checks
// what it needs (library loaded, region reserved) and reports failure as MadePageSource::error.
// Thread-safety: as PageSource.
#pragma once

#include "core/memory/page_source/page_source.h"

namespace kmd::memory::detail {

MadePageSource MakeArenaPageSource(const PageSourceOptions& options);
MadePageSource MakeSystemPageSource(const PageSourceOptions& options);
MadePageSource MakeJemallocPageSource(const PageSourceOptions& options);
MadePageSource MakeMimallocPageSource(const PageSourceOptions& options);

}  // namespace kmd::memory::detail
