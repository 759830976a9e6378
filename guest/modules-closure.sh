#!/usr/bin/env bash
# modules-closure.sh MODDIR MODULE...: prints the .ko files MODULE... need,
# one path a line, each after the modules it depends on: the order in which
# `insmod` can load them. MODDIR is a kernel's lib/modules/<version>.
#
# Dependencies come from each .ko's own modinfo "depends=" field (what depmod
# would compute), so neither depmod nor kmod is needed and nothing is written
# into MODDIR. Soft dependencies ("softdep=pre: crypto-crc32c": an alias, not a
# module) are not followed: name the module that provides them (crc32c_generic).
# Used by the default guest's initramfs and the KVM sandbox's.
set -euo pipefail

die() { printf 'modules-closure: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: modules-closure.sh MODDIR MODULE..."
moddir=$1
shift
[[ -d $moddir/kernel ]] || die "no kernel modules in $moddir (expected $moddir/kernel; run scripts/setup)"

# Module names use '_' where file names may use '-' (kvm-amd.ko is kvm_amd).
declare -A modpath=() state=()
while IFS= read -r f; do
  n=${f##*/}; n=${n%.ko}; modpath[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko')

order=()
add_module() {
  local n=${1//-/_} deps d
  case ${state[$n]:-} in
    done) return 0 ;;
    visiting) die "dependency cycle through module $n" ;;
  esac
  [[ -n ${modpath[$n]:-} ]] || die "kernel module $1 not found under $moddir/kernel"
  state[$n]=visiting
  deps=$(tr '\0' '\n' < "${modpath[$n]}" | sed -n 's/^depends=//p' | head -n 1)
  for d in ${deps//,/ }; do add_module "$d"; done
  state[$n]=done
  order+=("${modpath[$n]}")
}
for m in "$@"; do add_module "$m"; done
printf '%s\n' "${order[@]}"
