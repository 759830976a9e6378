#include "base/version.h"

namespace hf {

const char* hyperforkVersion() { return HYPERFORK_VERSION; }

} // namespace hf
