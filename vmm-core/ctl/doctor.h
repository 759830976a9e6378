#pragma once
// hyperforkctl doctor: what this machine lacks to run HyperFork's VMs, one
// line per check and, for each problem, what to do. Every fact is read
// through DoctorHost, so tests give it a machine of their own.

#include <string>
#include <vector>

namespace hf::ctl {

struct DoctorHost {
    std::string devKvm = "/dev/kvm";
    std::string cpuinfo = "/proc/cpuinfo";
    std::string sysModule = "/sys/module";  // kvm_intel, kvm_amd, kvm_pvm
    std::string thpEnabled = "/sys/kernel/mm/transparent_hugepage/enabled";
    std::string vmmDir;                     // hyperfork-vmm's directory: the default guest is found from it
    std::string socket;                     // hyperforkd's
    std::string user;                       // for the fix: adduser USER kvm
    bool kvmGroupListed = false;            // the user is a member of group kvm in the group database
    bool kvmGroupInSession = false;         // ...and this process has it (a login since then)

    // This machine, this user, hyperfork-vmm next to `vmmDir`, hyperforkd on `socket`.
    static DoctorHost real(std::string vmmDir, std::string socket);
};

enum class Verdict { Ok, Warning, Problem };

struct Finding {
    Verdict verdict = Verdict::Ok;
    std::string check;  // "/dev/kvm", "guest kernel", ...
    std::string text;   // what was found
    std::string fix;    // what to do (problems and warnings)
};

Finding checkVirtualization(const DoctorHost& host);
Finding checkKvmModule(const DoctorHost& host);
Finding checkDevKvm(const DoctorHost& host);
// checkDevKvm's verdict when /dev/kvm (`modeAndOwner`: "crw-rw---- root:kvm")
// cannot be opened for lack of rights: the fix depends on the kvm group.
Finding devKvmDenied(const DoctorHost& host, const std::string& modeAndOwner);
Finding checkDefaultGuest(const DoctorHost& host);
Finding checkHugePages(const DoctorHost& host);
Finding checkDaemon(const DoctorHost& host);

// Every check above, in that order.
std::vector<Finding> runDoctor(const DoctorHost& host);
// One line per finding, then a summary line.
std::string renderFindings(const std::vector<Finding>& findings);
// 1 when any finding is a problem, else 0.
int doctorExitStatus(const std::vector<Finding>& findings);

} // namespace hf::ctl
