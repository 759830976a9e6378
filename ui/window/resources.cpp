#include "window/resources.h"

#include <QtGlobal>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initHyperforkResources() { Q_INIT_RESOURCE(hyperfork); }

namespace hf::ui {
void initResources() { initHyperforkResources(); }
}  // namespace hf::ui
