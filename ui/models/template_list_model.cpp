#include "models/template_list_model.h"

#include "backend/display_text.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QIcon>
#include <QLocale>
#include <QPalette>

namespace hf::ui {

TemplateListModel::TemplateListModel(QObject* parent) : QAbstractTableModel(parent) {}

int TemplateListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_templates.size());
}

int TemplateListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant TemplateListModel::display(const TemplateInfo& t, int column) const
{
    if (t.broken()) {
        // One line that says what is wrong (the view spans it over the row).
        if (column == Name) return tr("%1 — broken: %2").arg(t.name.isEmpty() ? t.dir : t.name, t.error);
        return {};
    }
    switch (column) {
    case Name: return t.name;
    case Size: return bytesText(t.bytes);
    case Memory: return bytesText(t.memoryBytes);
    case Created:
        return t.createdUnixS > 0
                   ? QLocale().toString(QDateTime::fromSecsSinceEpoch(t.createdUnixS).toLocalTime(), QLocale::ShortFormat)
                   : QString();
    case Source: return t.sourceVm;
    default: return {};
    }
}

QVariant TemplateListModel::toolTip(const TemplateInfo& t) const
{
    if (t.broken())
        return tr("<b>%1</b> cannot be started: %2<br>in %3<br>Delete removes it.")
            .arg(t.name.toHtmlEscaped(), t.error.toHtmlEscaped(), t.dir.toHtmlEscaped());
    QStringList lines{tr("<b>%1</b>: a VM saved on disk. Start Clone starts a new VM from it, as often as you like.")
                          .arg(t.name.toHtmlEscaped())};
    lines << tr("In %1").arg(t.dir.toHtmlEscaped());
    lines << tr("%1 on disk (the RAM file holds only the pages the guest used); %2 of RAM, %3")
                 .arg(bytesText(t.bytes), bytesText(t.memoryBytes),
                      t.cpus == 1 ? tr("1 vCPU") : tr("%1 vCPUs").arg(t.cpus));
    if (t.disks > 0)
        lines << (t.disks == 1 ? tr("1 disk, with the VM's writes") : tr("%1 disks, with the VM's writes").arg(t.disks));
    lines << tr("Saved from %1 %2")
                 .arg(t.sourceVm.toHtmlEscaped(), t.guestReady ? tr("after its guest was ready")
                                                               : tr("before its guest was ready"));
    if (!t.hyperforkVersion.isEmpty()) lines << tr("by HyperFork %1").arg(t.hyperforkVersion.toHtmlEscaped());
    return lines.join("<br>");
}

QVariant TemplateListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_templates.size() || index.column() >= ColumnCount) return {};
    const TemplateInfo& t = m_templates.at(index.row());
    switch (role) {
    case Qt::DisplayRole: return display(t, index.column());
    case Qt::ToolTipRole: return toolTip(t);
    case NameRole: return t.name;
    case BrokenRole: return t.broken();
    case Qt::ForegroundRole:
        if (t.broken()) return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::DecorationRole:
        if (t.broken() && index.column() == Name) return QIcon::fromTheme("dialog-warning");
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Size || index.column() == Memory) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SortRole:
        switch (index.column()) {
        case Name: return t.name;
        case Size: return t.bytes;
        case Memory: return t.memoryBytes;
        case Created: return t.createdUnixS;
        case Source: return t.sourceVm;
        default: return {};
        }
    default: return {};
    }
}

QVariant TemplateListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Name: return tr("Name");
        case Size: return tr("On disk");
        case Memory: return tr("RAM");
        case Created: return tr("Created");
        case Source: return tr("Source VM");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Name: return tr("The template's name: Start Clone and hyperforkctl start VMs from it by this name");
        case Size: return tr("Disk space its files use (guest pages never touched take none)");
        case Memory: return tr("The guest's RAM: what each VM started from it has");
        case Created: return tr("When it was saved (local time)");
        case Source: return tr("The VM it was saved from");
        default: return {};
        }
    }
    return {};
}

const TemplateInfo* TemplateListModel::find(const QString& name) const
{
    for (const TemplateInfo& t : m_templates)
        if (t.name == name) return &t;
    return nullptr;
}

QModelIndex TemplateListModel::indexOf(const QString& name, int column) const
{
    for (qsizetype r = 0; r < m_templates.size(); ++r)
        if (m_templates[r].name == name) return index(static_cast<int>(r), column);
    return {};
}

void TemplateListModel::setTemplates(const QList<TemplateInfo>& templates)
{
    beginResetModel();
    m_templates = templates;
    m_listError.clear();
    endResetModel();
}

void TemplateListModel::setListError(const QString& error)
{
    beginResetModel();
    m_templates.clear();
    m_listError = error;
    endResetModel();
}

void TemplateListModel::addOrUpdate(const TemplateInfo& info)
{
    if (const QModelIndex at = indexOf(info.name); at.isValid()) {
        m_templates[at.row()] = info;
        Q_EMIT dataChanged(at, index(at.row(), ColumnCount - 1));
        return;
    }
    const int row = static_cast<int>(m_templates.size());
    beginInsertRows({}, row, row);
    m_templates.append(info);
    endInsertRows();
}

void TemplateListModel::remove(const QString& name)
{
    const QModelIndex at = indexOf(name);
    if (!at.isValid()) return;
    beginRemoveRows({}, at.row(), at.row());
    m_templates.removeAt(at.row());
    endRemoveRows();
}

void TemplateListModel::clear() { setTemplates({}); }

}  // namespace hf::ui
