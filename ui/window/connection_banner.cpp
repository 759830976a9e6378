#include "window/connection_banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>

namespace hf::ui {

ConnectionBanner::ConnectionBanner(QWidget* parent)
    : QFrame(parent), m_icon(new QLabel(this)), m_text(new QLabel(this)), m_retry(new QPushButton(tr("Retry now"), this))
{
    setObjectName("connectionBanner");
    setFrameShape(QFrame::StyledPanel);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->addWidget(m_icon);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_retry);
    connect(m_retry, &QPushButton::clicked, this, &ConnectionBanner::retryClicked);
    hide();
}

void ConnectionBanner::showMessage(Kind kind, const QString& text, bool offerRetry)
{
    static const char* const colours[] = {"#e3f2fd", "#fff8e1", "#ffebee"};
    const QStyle::StandardPixmap icons[] = {QStyle::SP_MessageBoxInformation, QStyle::SP_MessageBoxWarning,
                                            QStyle::SP_MessageBoxCritical};
    const int k = static_cast<int>(kind);
    setStyleSheet(QStringLiteral("#connectionBanner { background: %1; color: #202124; }").arg(colours[k]));
    m_icon->setPixmap(style()->standardIcon(icons[k]).pixmap(20, 20));
    m_text->setText(text);
    m_retry->setVisible(offerRetry);
    show();
}

QString ConnectionBanner::text() const { return isHidden() ? QString() : m_text->text(); }

}  // namespace hf::ui
