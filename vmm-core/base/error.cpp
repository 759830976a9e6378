#include "base/error.h"

#include <cstring>

namespace hf {

std::string Error::message() const
{
    if (code == 0)
        return what;
    return what + ": " + std::strerror(code);
}

} // namespace hf
