#pragma once
// A strip at the top of the window saying what is wrong with the daemon or
// KVM, with a button to retry at once. Never modal: the window stays usable.
#include <QFrame>

class QLabel;
class QPushButton;

namespace hf::ui {

class ConnectionBanner : public QFrame {
    Q_OBJECT
public:
    enum class Kind { Info, Warning, Error };
    explicit ConnectionBanner(QWidget* parent = nullptr);

    void showMessage(Kind kind, const QString& text, bool offerRetry);
    QString text() const;

Q_SIGNALS:
    void retryClicked();

private:
    QLabel* m_icon;
    QLabel* m_text;
    QPushButton* m_retry;
};

}  // namespace hf::ui
