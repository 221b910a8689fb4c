// Placeholder so kmd_protocol always has a source; the codecs live in binary/ and text/.
#include "protocol/common/parse.h"
