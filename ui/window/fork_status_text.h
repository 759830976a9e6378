#pragma once
// What the status bar says of a fork (vm.forked): how many clones of which
// VM, how long the slowest took, and whether warm spares served them
// ("Forked ref-3 from a warm spare in 0.9 ms").
#include "backend/protocol_types.h"

#include <QString>

namespace hf::ui {

QString forkStatusText(const ForkEvent& fork, const QString& parentName);

}  // namespace hf::ui
