#pragma once
// One VM's serial console: a TerminalModel shown by a TerminalView, fed first
// with the VMM's history (what the guest printed before we attached), then
// from the VM's pty; keys go back to the pty. A paused VM's console says so
// across its top.
#include <QWidget>

class QLabel;

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
    // The VM is paused (vm.state): "Paused" over the screen, which keeps its text.
    void setPaused(bool paused);
    bool isPaused() const;

    TerminalModel* model() const { return m_model; }
    TerminalView* view() const { return m_view; }
    PtyConnection* pty() const { return m_pty; }
    QString ptyPath() const { return m_ptyPath; }

Q_SIGNALS:
    void closed(const QString& reason);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    TerminalModel* m_model;
    TerminalView* m_view;
    PtyConnection* m_pty;
    QLabel* m_paused;
    QString m_ptyPath;
};

}  // namespace hf::ui
