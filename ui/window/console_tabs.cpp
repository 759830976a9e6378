#include "window/console_tabs.h"

#include "backend/backend_client.h"
#include "console/console_widget.h"

#include <QIcon>

namespace hf::ui {

ConsoleTabs::ConsoleTabs(BackendClient* backend, QWidget* parent) : QTabWidget(parent), m_backend(backend)
{
    setTabsClosable(true);
    setMovable(true);
    setDocumentMode(true);
    connect(this, &QTabWidget::tabCloseRequested, this, &ConsoleTabs::closeTab);
    connect(m_backend, &BackendClient::vmExited, this, &ConsoleTabs::onVmExited);
}

void ConsoleTabs::openConsole(VmId vm, const QString& name)
{
    if (ConsoleWidget* existing = m_consoles.value(vm)) {
        setCurrentWidget(existing);
        existing->setFocus();
        return;
    }
    auto* widget = new ConsoleWidget(this);
    m_consoles.insert(vm, widget);
    const int index = addTab(widget, QIcon(":/icons/action-console.svg"), QStringLiteral("%1 (%2)").arg(name).arg(vm));
    setCurrentIndex(index);
    m_backend->requestConsole(
        vm, widget,
        [this, widget, name](const ConsoleInfo& info) {
            QString error;
            if (!widget->attach(info.pty, info.history, &error))
                Q_EMIT consoleError(tr("Console of %1: %2").arg(name, error));
            widget->setFocus();
        },
        [this, widget, name](const RpcError& e) {
            Q_EMIT consoleError(tr("Console of %1: %2").arg(name, e.text()));
            widget->showMessage(tr("[no console: %1]").arg(e.text()));
        });
}

void ConsoleTabs::onVmExited(const ExitInfo& exit)
{
    ConsoleWidget* widget = m_consoles.value(exit.vm);
    if (!widget) return;
    const int index = indexOf(widget);
    setTabText(index, tabText(index) + tr(" — exited"));
    setTabIcon(index, QIcon(":/icons/state-stopping.svg"));
    widget->showMessage(tr("[VM exited: %1]").arg(exit.reason));
}

void ConsoleTabs::closeTab(int index)
{
    auto* widget = qobject_cast<ConsoleWidget*>(this->widget(index));
    if (!widget) return;
    m_consoles.remove(m_consoles.key(widget));
    removeTab(index);
    widget->deleteLater();  // closes its pty fd
}

}  // namespace hf::ui
