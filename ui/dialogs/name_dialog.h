#pragma once
// Asks for one name (Save as Template…'s template name, Start Clone's VM
// name): a line of what happens, the field pre-filled, what is wrong with
// the name under it while the user types, and the accept button enabled
// only for a name `check` accepts.
#include <QDialog>

#include <functional>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace hf::ui {

class NameDialog : public QDialog {
    Q_OBJECT
public:
    struct Text {
        QString title;
        QString about;   // rich text above the field
        QString label;   // the field's, with its mnemonic: "&Template name:"
        QString accept;  // the accept button's: "&Save"
    };
    // What is wrong with a name; empty when it is fine.
    using Check = std::function<QString(const QString& name)>;

    NameDialog(const Text& text, const QString& initial, Check check, QWidget* parent = nullptr);

    QString name() const;
    QLineEdit* nameEdit() const { return m_name; }
    QLabel* errorLabel() const { return m_error; }
    QPushButton* acceptButton() const;
    void accept() override;  // only with a valid name

private:
    void revalidate();

    Check m_check;
    QLineEdit* m_name;
    QLabel* m_error;
    QDialogButtonBox* m_buttons;
};

}  // namespace hf::ui
