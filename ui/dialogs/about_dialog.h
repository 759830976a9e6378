#pragma once
#include "backend/protocol_types.h"

class QWidget;

namespace hf::ui {
// The About box: this app's version, Qt's and libvterm's, and the daemon's
// when connected.
void showAboutDialog(QWidget* parent, const DaemonInfo* daemon);
QString aboutText(const DaemonInfo* daemon);
}  // namespace hf::ui
