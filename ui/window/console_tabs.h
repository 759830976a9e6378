#pragma once
// One tab per opened VM console: asks the daemon for the pty and the history
// (vm.console), then attaches a ConsoleWidget. A VM that exits keeps its tab,
// marked closed, so its last words stay readable.
#include "backend/protocol_types.h"

#include <QHash>
#include <QTabWidget>

namespace hf::ui {

class BackendClient;
class ConsoleWidget;

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

private:
    void onVmExited(const ExitInfo& exit);
    void closeTab(int index);

    BackendClient* m_backend;
    QHash<VmId, ConsoleWidget*> m_consoles;
};

}  // namespace hf::ui
