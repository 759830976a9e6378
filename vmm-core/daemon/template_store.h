#pragma once
// The daemon's templates directory ($XDG_DATA_HOME/hyperfork/templates, or
// hyperforkd --templates DIR): where vm.save puts a template given by name,
// what template.list shows and template.delete removes, and how a template
// a client names is checked before a VMM is started from it
// (docs/protocol.md). Every template is read with the template library
// (vmm-core/template/), which checks the whole state.dtb (fdt_check_full,
// the checksum, every bound) and the files' sizes; nothing here trusts a
// directory's contents.

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "template/template.h"

namespace hf::daemon {

class TemplateStore {
public:
    explicit TemplateStore(std::string dir) : m_dir(std::move(dir)) {}

    // $XDG_DATA_HOME/hyperfork/templates (when it is an absolute path), else
    // $HOME/.local/share/hyperfork/templates (XDG Base Directory spec).
    static std::string defaultDir();

    const std::string& dir() const { return m_dir; }
    // The directory of template NAME; NAME follows the VM name rule
    // (base/names.h), so it is never a path, "." or "..".
    Result<std::string> pathOf(const std::string& name) const;
    // Creates the directory (mode 0700, as any missing parent) on demand.
    Status ensureDir() const;
    // template.list: every directory in it, sorted by name, as
    // describeTemplate() says (hidden entries, such as a save's work
    // directory, and plain files are left out). A missing directory: none.
    nlohmann::json list() const;
    // Removes template NAME's directory and what it holds. ENOENT: no such
    // template; ENOTDIR: not a directory (both with a message in `what`).
    Status remove(const std::string& name) const;

private:
    std::string m_dir;
};

// TemplateInfo of a template directory: {"name","dir","bytes","memory","cpus",
// "created","source_vm","hyperfork_version","disks","ready"}, or
// {"name","dir","error":"template DIR: <reason>"} when it does not read as one.
nlohmann::json describeTemplate(const std::string& dir);

// What the daemon checks before it starts a VMM with --template DIR, without
// KVM: the template reads whole, and its disks' base images are the files it
// was saved over. The VMM checks the host's CPU itself.
Result<tmpl::Template> checkTemplateForBoot(const std::string& dir);

} // namespace hf::daemon
