#include "window/placeholder_label.h"

#include <QEvent>

namespace hf::ui {

PlaceholderLabel::PlaceholderLabel(QWidget* covered) : QLabel(covered)
{
    setObjectName("placeholder");
    setAlignment(Qt::AlignCenter);
    setWordWrap(true);
    setMargin(24);
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setForegroundRole(QPalette::PlaceholderText);
    setGeometry(covered->rect());
    covered->installEventFilter(this);
}

bool PlaceholderLabel::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Resize && watched == parent()) setGeometry(parentWidget()->rect());
    return QLabel::eventFilter(watched, event);
}

}  // namespace hf::ui
