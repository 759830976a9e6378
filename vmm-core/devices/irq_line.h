#pragma once
// An interrupt line as a device sees it. The VM backs it with KVM_IRQ_LINE on
// the in-kernel irqchip; tests pass a fake that records levels.

#include <cstdint>

namespace hf::devices {

class IrqLine {
public:
    virtual ~IrqLine() = default;
    virtual void setLevel(bool high) = 0;
};

} // namespace hf::devices
