#pragma once
// The templates on disk the daemon lists (template.list): one row each, a
// broken one with its error. Fed by AppController from the daemon's answers;
// the view never talks to the backend. Not the VMs kept paused as templates
// in memory (Keep as Template…): those are rows of VmTreeModel.
#include "backend/protocol_types.h"

#include <QAbstractTableModel>

namespace hf::ui {

class TemplateListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Size, Memory, Created, Source, ColumnCount };
    enum Role {
        NameRole = Qt::UserRole + 1,  // QString: the template's name, for template.delete and vm.boot
        SortRole,                     // a number or string that sorts right
        BrokenRole,                   // bool: the daemon could not read it
    };

    explicit TemplateListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const TemplateInfo* find(const QString& name) const;
    QModelIndex indexOf(const QString& name, int column = 0) const;
    // Why the last template.list failed; empty when it did not.
    QString listError() const { return m_listError; }

public Q_SLOTS:
    void setTemplates(const QList<hf::ui::TemplateInfo>& templates);  // template.list
    void setListError(const QString& error);                          // template.list failed: empty, with why
    void addOrUpdate(const hf::ui::TemplateInfo& info);               // vm.save's answer
    void remove(const QString& name);                                 // template.delete's answer
    void clear();                                                     // the daemon went away

private:
    QVariant display(const TemplateInfo& t, int column) const;
    QVariant toolTip(const TemplateInfo& t) const;

    QList<TemplateInfo> m_templates;
    QString m_listError;
};

}  // namespace hf::ui
