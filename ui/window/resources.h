#pragma once

namespace hf::ui {
// Registers resources/hyperfork.qrc, compiled into the static hyperfork-ui
// library (a static library's resources are not registered by themselves).
void initResources();
}  // namespace hf::ui
