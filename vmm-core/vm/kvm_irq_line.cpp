#include "vm/kvm_irq_line.h"

#include "base/log.h"

namespace hf::vm {

void KvmIrqLine::setLevel(bool high)
{
    if (auto r = m_vm->irqLine(m_irq, high); !r) {
        static RateLimit limit;
        if (limit.allow())
            logWarn(r.error().message());
    }
}

} // namespace hf::vm
