#pragma once
// The transport under a console: an open pseudo-terminal (the VMM's pty
// slave, e.g. /dev/pts/5) in raw mode, read and written without ever blocking
// the GUI thread. Knows nothing of terminals or widgets.
#include <QByteArray>
#include <QObject>
#include <QString>

class QSocketNotifier;

namespace hf::ui {

class PtyConnection : public QObject {
    Q_OBJECT
public:
    explicit PtyConnection(QObject* parent = nullptr);
    ~PtyConnection() override;
    PtyConnection(const PtyConnection&) = delete;
    PtyConnection& operator=(const PtyConnection&) = delete;

    // Opens `path` read-write, not as controlling terminal, in raw mode. On
    // failure returns false with *error naming the path and the reason.
    bool open(const QString& path, QString* error);
    void close();
    bool isOpen() const { return m_fd >= 0; }
    QString path() const { return m_path; }

    // Queued; written as the pty accepts it.
    void write(const QByteArray& bytes);
    qsizetype pendingWrite() const { return m_outgoing.size(); }
    // Bound on unwritten bytes: a guest that stops reading its console must
    // not grow the app's memory without end (a paste is far smaller).
    static constexpr qsizetype maxPending = 4 << 20;

Q_SIGNALS:
    void dataReceived(const QByteArray& bytes);
    // EOF or EIO: the VMM closed its side (the VM exited).
    void closed(const QString& reason);

private:
    void onReadable();
    void onWritable();
    void closeWith(const QString& reason);

    int m_fd = -1;
    QString m_path;
    QSocketNotifier* m_read = nullptr;
    QSocketNotifier* m_write = nullptr;
    QByteArray m_outgoing;
};

}  // namespace hf::ui
