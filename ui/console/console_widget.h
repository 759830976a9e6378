#pragma once
// One VM's serial console: a TerminalModel shown by a TerminalView, fed first
// with the VMM's history (what the guest printed before we attached), then
// from the VM's pty; keys go back to the pty.
#include <QWidget>

namespace hf::ui {

class PtyConnection;
class TerminalModel;
class TerminalView;

class ConsoleWidget : public QWidget {
    Q_OBJECT
public:
    explicit ConsoleWidget(QWidget* parent = nullptr);

    // The guest's serial output already ends lines with "\r\n" (the guest
    // tty's ONLCR), so history is fed unchanged.
    bool attach(const QString& ptyPath, const QByteArray& history, QString* error);
    // A line of our own, shown in reverse video so it is not taken for guest output.
    void showMessage(const QString& text);
    bool isAttached() const;

    TerminalModel* model() const { return m_model; }
    TerminalView* view() const { return m_view; }
    PtyConnection* pty() const { return m_pty; }
    QString ptyPath() const { return m_ptyPath; }

Q_SIGNALS:
    void closed(const QString& reason);

private:
    TerminalModel* m_model;
    TerminalView* m_view;
    PtyConnection* m_pty;
    QString m_ptyPath;
};

}  // namespace hf::ui
