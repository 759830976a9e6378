#pragma once
// Cuts a byte stream into '\n'-terminated lines (a '\r' before the '\n' is
// dropped), however the bytes were split across reads. Pure: the socket
// owner feeds it and takes lines out.
#include <QByteArray>
#include <QList>

namespace hf::ui {

class LineFramer {
public:
    explicit LineFramer(qsizetype maxLine) : m_maxLine(maxLine) {}

    // Appends bytes and returns the lines they completed. Sets overflow()
    // (and returns nothing more until reset()) once a line grows past maxLine.
    QList<QByteArray> feed(QByteArrayView bytes);
    bool overflow() const { return m_overflow; }
    qsizetype pending() const { return m_buffer.size(); }
    void reset();

private:
    qsizetype m_maxLine;
    QByteArray m_buffer;
    bool m_overflow = false;
};

}  // namespace hf::ui
