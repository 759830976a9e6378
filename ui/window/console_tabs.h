#pragma once
// One tab per opened VM console: asks the daemon for the pty and the history
// (vm.console), then attaches a ConsoleWidget. A paused VM's tab says so; a
// VM that exits keeps its tab, marked exited, so its last words stay
// readable. With no tab, the area says how to open one.
#include "backend/protocol_types.h"

#include <QHash>
#include <QTabWidget>

namespace hf::ui {

class BackendClient;
class ConsoleWidget;
class PlaceholderLabel;

class ConsoleTabs : public QTabWidget {
    Q_OBJECT
public:
    ConsoleTabs(BackendClient* backend, QWidget* parent = nullptr);

    // Opens (or shows) the VM's console.
    void openConsole(VmId vm, const QString& name);
    ConsoleWidget* console(VmId vm) const { return m_consoles.value(vm); }
    QList<VmId> openVms() const { return m_consoles.keys(); }

Q_SIGNALS:
    void consoleError(const QString& text);
    // A console was opened, attached or closed (what Send Key can reach changed).
    void consolesChanged();

protected:
    void tabInserted(int index) override;
    void tabRemoved(int index) override;

private:
    void onVmState(const VmInfo& vm);
    void onVmExited(const ExitInfo& exit);
    void closeTab(int index);
    void retitle(VmId vm);

    BackendClient* m_backend;
    PlaceholderLabel* m_placeholder;
    QHash<VmId, ConsoleWidget*> m_consoles;
    QHash<VmId, QString> m_names;
    QHash<VmId, QString> m_states;  // "paused", "exited", or empty
};

}  // namespace hf::ui
