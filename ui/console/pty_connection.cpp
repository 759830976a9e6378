#include "console/pty_connection.h"

#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace hf::ui {

PtyConnection::PtyConnection(QObject* parent) : QObject(parent) {}

PtyConnection::~PtyConnection() { close(); }

bool PtyConnection::open(const QString& path, QString* error)
{
    close();
    const QByteArray native = path.toLocal8Bit();
    const int fd = ::open(native.constData(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    if (!::isatty(fd)) {
        *error = QStringLiteral("%1 is not a terminal").arg(path);
        ::close(fd);
        return false;
    }
    // Raw: the guest's bytes arrive unchanged and our keys are not echoed or
    // line-buffered here; the guest's own shell echoes and edits.
    termios tio{};
    if (::tcgetattr(fd, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(fd, TCSANOW, &tio);
    }
    m_fd = fd;
    m_path = path;
    m_read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_write->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, &PtyConnection::onReadable);
    connect(m_write, &QSocketNotifier::activated, this, &PtyConnection::onWritable);
    return true;
}

void PtyConnection::close()
{
    delete m_read;
    delete m_write;
    m_read = m_write = nullptr;
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    m_outgoing.clear();
}

void PtyConnection::closeWith(const QString& reason)
{
    close();
    Q_EMIT closed(reason);
}

void PtyConnection::onReadable()
{
    char buffer[16384];
    // A bounded number of reads per wakeup keeps the GUI responsive under a flood.
    for (int i = 0; i < 16 && m_fd >= 0; ++i) {
        const ssize_t n = ::read(m_fd, buffer, sizeof buffer);
        if (n > 0) {
            Q_EMIT dataReceived(QByteArray(buffer, static_cast<qsizetype>(n)));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        // 0 or EIO: the other side is gone.
        closeWith(n == 0 ? QStringLiteral("end of file") : QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
}

void PtyConnection::write(const QByteArray& bytes)
{
    if (m_fd < 0 || bytes.isEmpty()) return;
    if (m_outgoing.size() + bytes.size() > maxPending) return;  // the guest is not reading; drop keystrokes
    m_outgoing.append(bytes);
    onWritable();
}

void PtyConnection::onWritable()
{
    while (m_fd >= 0 && !m_outgoing.isEmpty()) {
        const ssize_t n = ::write(m_fd, m_outgoing.constData(), static_cast<size_t>(m_outgoing.size()));
        if (n > 0) {
            m_outgoing.remove(0, n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        closeWith(QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
    if (m_write) m_write->setEnabled(!m_outgoing.isEmpty());
}

}  // namespace hf::ui
