#include "console/console_widget.h"

#include "console/pty_connection.h"
#include "console/terminal_model.h"
#include "console/terminal_view.h"

#include <QLabel>
#include <QVBoxLayout>

namespace hf::ui {

ConsoleWidget::ConsoleWidget(QWidget* parent)
    : QWidget(parent),
      m_model(new TerminalModel(24, 80, 5000, this)),
      m_view(new TerminalView(m_model, this)),
      m_pty(new PtyConnection(this)),
      m_paused(new QLabel(tr("Paused — the guest does not run until VM > Resume"), this))
{
    m_paused->setObjectName("pausedOverlay");
    m_paused->setAlignment(Qt::AlignCenter);
    m_paused->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_paused->setStyleSheet("QLabel { background: rgba(255, 248, 225, 230); color: #202124; padding: 6px; font-weight: bold; }");
    m_paused->hide();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    setFocusProxy(m_view);
    connect(m_model, &TerminalModel::outputReady, m_pty, &PtyConnection::write);
    connect(m_pty, &PtyConnection::dataReceived, m_model, [this](const QByteArray& bytes) { m_model->feed(bytes); });
    connect(m_pty, &PtyConnection::closed, this, [this](const QString& reason) {
        showMessage(tr("[console closed: %1]").arg(reason));
        Q_EMIT closed(reason);
    });
}

bool ConsoleWidget::attach(const QString& ptyPath, const QByteArray& history, QString* error)
{
    m_ptyPath = ptyPath;
    m_model->feed(history);
    if (!m_pty->open(ptyPath, error)) {
        showMessage(tr("[no console: %1]").arg(*error));
        return false;
    }
    return true;
}

bool ConsoleWidget::isAttached() const { return m_pty->isOpen(); }

void ConsoleWidget::setPaused(bool paused)
{
    m_paused->setVisible(paused);
    m_paused->raise();
}

bool ConsoleWidget::isPaused() const { return !m_paused->isHidden(); }

void ConsoleWidget::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    m_paused->setGeometry(0, 0, width(), m_paused->sizeHint().height());
}

void ConsoleWidget::showMessage(const QString& text)
{
    m_model->feed("\r\n\x1b[7m" + text.toUtf8() + "\x1b[0m\r\n");
}

}  // namespace hf::ui
