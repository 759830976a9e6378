#include "window/templates_panel.h"

#include "backend/display_text.h"
#include "dialogs/name_dialog.h"
#include "models/template_list_model.h"
#include "window/app_controller.h"
#include "window/placeholder_label.h"

#include <QAction>
#include <QHeaderView>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace hf::ui {

namespace {

// Column widths for the first layout: Name, On disk, RAM, Created, Source VM.
constexpr int columnWidths[] = {130, 75, 65, 125, 90};
static_assert(std::size(columnWidths) == TemplateListModel::ColumnCount);

}  // namespace

TemplatesPanel::TemplatesPanel(AppController* controller, QWidget* parent)
    : QWidget(parent),
      m_controller(controller),
      m_sorted(new QSortFilterProxyModel(this)),
      m_view(new QTreeView(this)),
      m_placeholder(new PlaceholderLabel(m_view->viewport()))
{
    setObjectName("templatesPanel");
    TemplateListModel* model = controller->templates();
    m_sorted->setSourceModel(model);
    m_sorted->setSortRole(TemplateListModel::SortRole);
    m_sorted->setSortCaseSensitivity(Qt::CaseInsensitive);

    // A flat list with a header: QTreeView, for spanning a broken row's error over it.
    m_view->setObjectName("templateList");
    m_view->setModel(m_sorted);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TemplateListModel::Name, Qt::AscendingOrder);
    m_view->header()->setStretchLastSection(true);
    for (int c = 0; c < TemplateListModel::ColumnCount; ++c) m_view->setColumnWidth(c, columnWidths[c]);

    auto add = [this](const char* name, const QString& text, const QKeySequence& key, const QString& tip) {
        auto* a = new QAction(text, this);
        a->setObjectName(name);
        a->setShortcut(key);
        // Only while the list has the focus: Delete and F5 mean other things elsewhere.
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        a->setToolTip(tip);
        a->setStatusTip(tip);
        addAction(a);
        return a;
    };
    m_startClone = add("startClone", tr("Start &Clone…"), {},
                       tr("Start a new VM from the selected template: it goes on where the saved VM was, with an "
                          "identity of its own (also a double click or Enter)"));
    m_delete = add("deleteTemplate", tr("&Delete…"), QKeySequence(Qt::Key_Delete),
                   tr("Delete the selected template's files; asks first. VMs started from it keep running"));
    // F5, not QKeySequence::Refresh: that is Ctrl+R (Resume) on some desktops.
    m_refresh = add("refreshTemplates", tr("&Refresh"), QKeySequence(Qt::Key_F5),
                    tr("Ask hyperforkd for its templates again"));
    connect(m_startClone, &QAction::triggered, this, [this] {
        if (const QString name = selectedTemplate(); !name.isEmpty()) startClone(name);
    });
    connect(m_delete, &QAction::triggered, this, [this] {
        if (const QString name = selectedTemplate(); !name.isEmpty()) deleteTemplate(name);
    });
    connect(m_refresh, &QAction::triggered, controller, &AppController::refreshTemplates);

    auto* bar = new QToolBar(this);
    bar->setObjectName("templatesToolbar");
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    bar->addAction(m_startClone);
    bar->addAction(m_delete);
    bar->addSeparator();
    bar->addAction(m_refresh);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(bar);
    layout->addWidget(m_view, 1);
    setWhatsThis(tr("<p><b>Templates on disk.</b> Save as Template… (VM menu) writes a running VM to disk; each "
                    "template here starts any number of new VMs (Start Clone), now or after a restart, each "
                    "going on where the saved VM was.</p><p>Not the same as Keep as Template…, which keeps a VM "
                    "paused in memory with warm spares for fast forks: such a VM is a row of the VM tree and is "
                    "gone when it stops.</p>"));

    connect(m_view, &QTreeView::activated, this, [this](const QModelIndex& index) {
        if (!index.data(TemplateListModel::BrokenRole).toBool()) m_startClone->trigger();
    });
    connect(m_view, &QTreeView::customContextMenuRequested, this, &TemplatesPanel::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &TemplatesPanel::updateActions);
    // Spans belong to rows: set again whenever rows come or move (a sort).
    const auto relayout = [this] {
        spanBrokenRows();
        updatePlaceholder();
        updateActions();
    };
    connect(m_sorted, &QAbstractItemModel::modelReset, this, relayout);
    connect(m_sorted, &QAbstractItemModel::layoutChanged, this, relayout);
    connect(m_sorted, &QAbstractItemModel::rowsInserted, this, [this] {
        spanBrokenRows();
        updatePlaceholder();
    });
    connect(m_sorted, &QAbstractItemModel::rowsRemoved, this, [this] {
        updatePlaceholder();
        updateActions();
    });
    connect(m_sorted, &QAbstractItemModel::dataChanged, this, [this] {
        spanBrokenRows();
        updateActions();
    });
    connect(controller->backend(), &BackendClient::stateChanged, this, [this] {
        updatePlaceholder();
        updateActions();
    });
    updatePlaceholder();
    updateActions();
}

QString TemplatesPanel::selectedTemplate() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.size() == 1 ? rows.first().data(TemplateListModel::NameRole).toString() : QString();
}

void TemplatesPanel::selectTemplate(const QString& name)
{
    const QModelIndex index = m_sorted->mapFromSource(m_controller->templates()->indexOf(name));
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

void TemplatesPanel::updateActions()
{
    const BackendClient* backend = m_controller->backend();
    const bool connected = backend->isConnected();
    const QString name = selectedTemplate();
    const TemplateInfo* t = m_controller->templates()->find(name);
    const bool has = connected && backend->daemonInfo().hasTemplatesOnDisk();
    m_startClone->setEnabled(has && backend->daemonInfo().kvmAvailable && t && !t->broken());
    m_delete->setEnabled(has && t);
    m_refresh->setEnabled(has);
}

void TemplatesPanel::updatePlaceholder()
{
    const TemplateListModel* model = m_controller->templates();
    if (model->rowCount() > 0) {
        m_placeholder->hide();
        return;
    }
    m_placeholder->setText(!m_controller->backend()->isConnected() ? tr("Not connected to hyperforkd")
                           : !model->listError().isEmpty()
                               ? tr("Cannot list the templates on disk: %1").arg(model->listError())
                           : m_controller->backend()->daemonInfo().templatesDir.isEmpty()
                               ? tr("No templates on disk — select a VM, then VM > Save as Template…")
                               : tr("No templates in %1 — select a VM, then VM > Save as Template…")
                                     .arg(m_controller->backend()->daemonInfo().templatesDir));
    m_placeholder->show();
}

void TemplatesPanel::spanBrokenRows()
{
    // The error is one line in the Name column; over the whole row it can be read.
    for (int r = 0; r < m_sorted->rowCount(); ++r)
        m_view->setFirstColumnSpanned(r, {}, m_sorted->index(r, 0).data(TemplateListModel::BrokenRole).toBool());
}

void TemplatesPanel::showContextMenu(const QPoint& pos)
{
    // A right click selects its row; the Menu key acts on the selection as it is.
    const QModelIndex index = m_view->indexAt(pos);
    if (index.isValid()) selectTemplate(index.data(TemplateListModel::NameRole).toString());
    QMenu menu(this);
    menu.addAction(m_startClone);
    menu.addAction(m_delete);
    menu.addSeparator();
    menu.addAction(m_refresh);
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

void TemplatesPanel::startClone(const QString& templateName)
{
    QStringList taken;
    const VmTreeModel* tree = m_controller->vmTree();
    QList<VmId> todo = tree->roots();
    while (!todo.isEmpty()) {
        const VmId id = todo.takeFirst();
        if (const VmInfo* vm = tree->vm(id)) taken << vm->name;
        todo << tree->children(id);
    }
    NameDialog::Text text{
        tr("Start a Clone of %1").arg(templateName),
        tr("A new VM goes on from the template <b>%1</b> where the saved VM was, with an identity of its own "
           "(VM Generation ID, name). The template stays as it is.")
            .arg(templateName.toHtmlEscaped()),
        tr("&VM name:"), tr("&Start")};
    auto* dialog = new NameDialog(text, suggestCloneName(templateName, taken), &nameError, this);
    dialog->setObjectName("startCloneDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog, templateName] { startCloneNamed(templateName, dialog->name()); });
    dialog->open();
}

void TemplatesPanel::startCloneNamed(const QString& templateName, const QString& vmName)
{
    const TemplateBootRequest request{templateName, vmName};
    if (const QString error = request.validate(); !error.isEmpty())
        return Q_EMIT errorOccurred(tr("Cannot start a clone of %1: %2").arg(templateName, error));
    Q_EMIT statusMessage(tr("Starting %1 from the template %2…").arg(vmName, templateName));
    m_controller->backend()->bootFromTemplate(
        request, this,
        [this, templateName](const VmInfo& vm) {
            Q_EMIT vmStarted(vm);
            Q_EMIT statusMessage(tr("Started %1 from the template %2").arg(vm.name, templateName));
        },
        [this, templateName, vmName](const RpcError& e) {
            Q_EMIT statusMessage({});
            Q_EMIT errorOccurred(tr("Starting %1 from the template %2 failed: %3").arg(vmName, templateName, e.text()));
        });
}

void TemplatesPanel::deleteTemplate(const QString& name)
{
    const TemplateInfo* t = m_controller->templates()->find(name);
    if (!t) return;
    QString text = tr("Delete the template <b>%1</b>?").arg(name.toHtmlEscaped());
    const QString where = t->broken() ? tr("Its folder %1 is removed from disk.").arg(t->dir.toHtmlEscaped())
                                      : tr("Its folder %1 (%2) is removed from disk.")
                                            .arg(t->dir.toHtmlEscaped(), bytesText(t->bytes));
    auto* box = new QMessageBox(QMessageBox::Question, tr("Delete Template"), text, QMessageBox::NoButton, this);
    box->setObjectName("deleteTemplateDialog");
    box->setInformativeText(where + "<br>" +
                            tr("VMs started from it keep running; no new ones can start from it."));
    QPushButton* confirm = box->addButton(tr("&Delete"), QMessageBox::DestructiveRole);
    QPushButton* cancel = box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(cancel);  // Enter deletes nothing
    box->setEscapeButton(cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QDialog::finished, this, [this, box, confirm, name] {
        if (box->clickedButton() != confirm) return;
        m_controller->backend()->deleteTemplate(
            name, this,
            [this](const QString& deleted) {
                m_controller->templates()->remove(deleted);
                m_controller->refreshTemplates();
                Q_EMIT statusMessage(tr("Deleted the template %1").arg(deleted));
            },
            [this, name](const RpcError& e) {
                Q_EMIT errorOccurred(tr("Deleting the template %1 failed: %2").arg(name, e.text()));
                m_controller->refreshTemplates();  // what is left of it
            });
    });
    box->open();
}

}  // namespace hf::ui
