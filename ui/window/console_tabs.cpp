#include "window/console_tabs.h"

#include "backend/backend_client.h"
#include "console/console_widget.h"
#include "window/placeholder_label.h"

#include <QIcon>

namespace hf::ui {

ConsoleTabs::ConsoleTabs(BackendClient* backend, QWidget* parent)
    : QTabWidget(parent), m_backend(backend), m_placeholder(new PlaceholderLabel(this))
{
    setTabsClosable(true);
    setMovable(true);
    setDocumentMode(true);
    m_placeholder->setText(tr("No console open.\nDouble-click a VM in the list, or select it and choose "
                              "VM > Open Console (Ctrl+T), to see its serial console here."));
    connect(this, &QTabWidget::tabCloseRequested, this, &ConsoleTabs::closeTab);
    connect(m_backend, &BackendClient::vmExited, this, &ConsoleTabs::onVmExited);
    connect(m_backend, &BackendClient::vmStateChanged, this, &ConsoleTabs::onVmState);
}

void ConsoleTabs::tabInserted(int index)
{
    QTabWidget::tabInserted(index);
    m_placeholder->hide();
}

void ConsoleTabs::tabRemoved(int index)
{
    QTabWidget::tabRemoved(index);
    m_placeholder->setVisible(count() == 0);
    m_placeholder->raise();
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
    m_names.insert(vm, name);
    const int index = addTab(widget, QIcon(":/icons/action-console.svg"), name);
    setTabToolTip(index, tr("The serial console of %1 (VM %2)").arg(name).arg(vm));
    setCurrentIndex(index);
    m_backend->requestConsole(
        vm, widget,
        [this, widget, name](const ConsoleInfo& info) {
            QString error;
            if (!widget->attach(info.pty, info.history, &error))
                Q_EMIT consoleError(tr("Console of %1: %2").arg(name, error));
            widget->setFocus();
            Q_EMIT consolesChanged();
        },
        [this, widget, name](const RpcError& e) {
            Q_EMIT consoleError(tr("Console of %1: %2").arg(name, e.text()));
            widget->showMessage(tr("[no console: %1]").arg(e.text()));
        });
    Q_EMIT consolesChanged();
}

void ConsoleTabs::retitle(VmId vm)
{
    ConsoleWidget* widget = m_consoles.value(vm);
    if (!widget) return;
    const int index = indexOf(widget);
    const QString state = m_states.value(vm);
    setTabText(index, state.isEmpty() ? m_names.value(vm) : tr("%1 — %2").arg(m_names.value(vm), state));
    setTabIcon(index, QIcon(state.isEmpty() ? ":/icons/action-console.svg"
                            : state == "paused" ? ":/icons/state-paused.svg"
                                                : ":/icons/state-stopping.svg"));
}

void ConsoleTabs::onVmState(const VmInfo& vm)
{
    ConsoleWidget* widget = m_consoles.value(vm.id);
    if (!widget || m_states.value(vm.id) == "exited") return;
    if (!vm.name.isEmpty()) m_names.insert(vm.id, vm.name);
    const bool paused = vm.state == "paused";
    m_states.insert(vm.id, paused ? QStringLiteral("paused") : QString());
    widget->setPaused(paused);
    retitle(vm.id);
}

void ConsoleTabs::onVmExited(const ExitInfo& exit)
{
    ConsoleWidget* widget = m_consoles.value(exit.vm);
    if (!widget) return;
    m_states.insert(exit.vm, QStringLiteral("exited"));
    widget->setPaused(false);
    retitle(exit.vm);
    widget->showMessage(tr("[VM exited: %1]").arg(exit.reason));
}

void ConsoleTabs::closeTab(int index)
{
    auto* widget = qobject_cast<ConsoleWidget*>(this->widget(index));
    if (!widget) return;
    const VmId vm = m_consoles.key(widget);
    m_consoles.remove(vm);
    m_names.remove(vm);
    m_states.remove(vm);
    removeTab(index);
    widget->deleteLater();  // closes its pty fd
    Q_EMIT consolesChanged();
}

}  // namespace hf::ui
