#include "devices/vm_gen_id.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace hf::devices {

namespace {

Result<VmGenId::Id> randomId()
{
    VmGenId::Id id{};
    size_t got = 0;
    while (got < id.size()) {
        ssize_t n = ::getrandom(id.data() + got, id.size() - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return failErrno("getrandom for a VM generation id");
        got += size_t(n);
    }
    return id;
}

} // namespace

Result<std::unique_ptr<VmGenId>> VmGenId::create(const memory::GuestMemory& mem, uint64_t gpa, IrqLine& notify)
{
    if (!mem.contains(gpa, kIdBytes))
        return failMsg("VM generation id at " + std::to_string(gpa) + ": not in guest memory");
    std::unique_ptr<VmGenId> dev(new VmGenId(mem, gpa, notify));
    auto id = randomId();
    if (!id)
        return fail(id.error());
    dev->m_state.id = *id;
    HF_TRY(dev->writeId());
    return dev;
}

Status VmGenId::newGeneration()
{
    Id next;
    do {
        auto id = randomId();
        if (!id)
            return fail(id.error());
        next = *id;
    } while (next == m_state.id);
    m_state.id = next;
    ++m_state.generation;
    // Ordering: the id is in guest memory before the GPE can reach the guest.
    HF_TRY(writeId());
    m_notify.setLevel(true);
    m_notify.setLevel(false);
    return {};
}

std::string VmGenId::idHex() const
{
    std::string s;
    char b[3];
    for (uint8_t v : m_state.id) {
        std::snprintf(b, sizeof b, "%02x", v);
        s += b;
    }
    return s;
}

Status VmGenId::setState(const VmGenIdState& s)
{
    m_state = s;
    return writeId();
}

Status VmGenId::writeId() const
{
    if (auto r = m_mem.write(m_gpa, m_state.id); !r)
        return fail(r.error().withContext("writing the VM generation id"));
    return {};
}

namespace {
constexpr uint8_t kStateVersion = 1;
}

StateBytes VmGenId::saveState() const
{
    StateWriter w;
    w.put(kStateVersion);
    w.putBytes(m_state.id);
    w.put(m_state.generation);
    return w.take();
}

Status VmGenId::restoreState(std::span<const uint8_t> bytes)
{
    StateReader r(bytes, name());
    HF_TRY(r.version(kStateVersion));
    auto id = r.getBytes("id", kIdBytes);
    if (!id)
        return fail(id.error());
    if (id->size() != kIdBytes)
        return failMsg(name() + " state: the id is " + std::to_string(id->size()) + " bytes, not 16");
    VmGenIdState s;
    std::copy(id->begin(), id->end(), s.id.begin());
    HF_STATE_GET(r, s.generation, "generation");
    HF_TRY(r.end());
    return setState(s);
}

} // namespace hf::devices
