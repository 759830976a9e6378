#pragma once
// The Templates dock's content: the templates on disk hyperforkd lists
// (TemplateListModel), sortable, a broken one greyed with its error, and
// what can be done with one: Start Clone (a new VM going on from it),
// Delete (asks first) and Refresh, from its toolbar, its context menu, a
// double click or Enter, the Delete key and F5. Templates on disk are not the VMs kept paused as templates in
// memory (Keep as Template…), which stay rows of the VM tree.
#include "backend/protocol_types.h"

#include <QWidget>

class QAction;
class QSortFilterProxyModel;
class QTreeView;

namespace hf::ui {

class AppController;
class PlaceholderLabel;

class TemplatesPanel : public QWidget {
    Q_OBJECT
public:
    explicit TemplatesPanel(AppController* controller, QWidget* parent = nullptr);

    // Its actions ("startClone", "deleteTemplate", "refreshTemplates") are
    // QWidget::actions(): their keys work while the panel has the focus.
    QTreeView* view() const { return m_view; }
    PlaceholderLabel* placeholder() const { return m_placeholder; }
    // The selected template's name; empty when none is.
    QString selectedTemplate() const;
    void selectTemplate(const QString& name);

    // Asks for a VM name, then starts it from `templateName` (vm.boot with template).
    void startClone(const QString& templateName);
    // Starts `vmName` from `templateName` without asking.
    void startCloneNamed(const QString& templateName, const QString& vmName);
    // Asks first, naming the template, then template.delete.
    void deleteTemplate(const QString& name);

Q_SIGNALS:
    // A VM was started from a template: show it as a booted one.
    void vmStarted(const hf::ui::VmInfo& vm);
    void statusMessage(const QString& text);
    void errorOccurred(const QString& text);

private:
    void updateActions();
    void updatePlaceholder();
    void spanBrokenRows();
    void showContextMenu(const QPoint& pos);

    AppController* m_controller;
    QSortFilterProxyModel* m_sorted;
    QTreeView* m_view;
    PlaceholderLabel* m_placeholder;
    QAction* m_startClone;
    QAction* m_delete;
    QAction* m_refresh;
};

}  // namespace hf::ui
