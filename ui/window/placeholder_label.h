#pragma once
// The text an empty view shows in its middle ("No VMs — Boot VM… (Ctrl+B)"):
// a label over the widget it covers, resized with it, passing mouse events
// through (a right click on an empty tree still opens its menu).
#include <QLabel>

namespace hf::ui {

class PlaceholderLabel : public QLabel {
    Q_OBJECT
public:
    explicit PlaceholderLabel(QWidget* covered);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
};

}  // namespace hf::ui
