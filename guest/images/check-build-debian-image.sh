#!/usr/bin/env bash
# check-build-debian-image.sh BUILDER HF_SIGNAL: what can be checked of the
# Debian image builder without downloading anything (the core test; the real
# build is `cmake --build build --target debian-image`): bad arguments fail
# with exit 64 and a message naming them, --dry-run plans the build and
# changes nothing, the recipe follows its inputs, and the image's own
# scripts parse.
set -euo pipefail
builder=$1 hfsignal=$2
rootfs=$(dirname "$builder")/rootfs
fail=0 cases=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# expect STATUS TEXT ARGS...: the builder exits STATUS and says TEXT.
expect() {
  local want=$1 text=$2 rc=0 output
  shift 2
  cases=$((cases + 1))
  output=$("$builder" "$@" 2>&1) || rc=$?
  if [[ $rc -ne $want || $output != *"$text"* ]]; then
    printf 'FAIL: build-debian-image %s: exit %s (wanted %s), output:\n%s\n' "$*" "$rc" "$want" "$output"
    fail=1
  fi
  last_output=$output
}
img=$work/guest.ext4
expect 64 "no output image named"
expect 64 "unknown option '--fast'" "$img" --fast
expect 64 "one output image only" "$img" "$work/other.ext4"
expect 64 "--size takes a size" "$img" --size 12Q
expect 64 "--size takes a size" "$img" --size 0
expect 64 "not a Debian package name: 'Bad_Name'" "$img" --packages "curl Bad_Name"
expect 64 "--add: '/nonexistent' is not a directory" "$img" --add /nonexistent
expect 64 "--mirror takes a URL" "$img" --mirror deb.debian.org
expect 64 "does not exist" /nonexistent/dir/guest.ext4
expect 64 "exists and is not a regular file" "$work"
expect 1 "is not an executable file" "$img" --hf-signal /nonexistent/hf-signal
expect 1 "dynamically linked" "$img" --hf-signal /bin/true

mkdir -p "$work/add/usr/local/bin"
echo 'print("hi")' > "$work/add/usr/local/bin/job.py"
expect 0 "packages:  minbase + usr-is-merged python3 python3-numpy curl jq" \
  "$img" --dry-run --hf-signal "$hfsignal" --packages "curl,jq" --add "$work/add" --size 3G
for want in "--variant=minbase" "--include=usr-is-merged,python3,python3-numpy,curl,jq" "bookworm STAGE" \
            "mke2fs -t ext4 -d STAGE" "$img 3G" "add=$work/add"; do
  [[ $last_output == *"$want"* ]] || { echo "FAIL: the dry run does not say '$want':"; echo "$last_output"; fail=1; }
done
recipe() { "$builder" "$img" --dry-run --hf-signal "$hfsignal" --add "$work/add" | sed -n 's/^recipe \([0-9a-f]*\):$/\1/p'; }
first=$(recipe)
[[ -n $first && $first == "$(recipe)" ]] || { echo "FAIL: the recipe of the same inputs changed ($first)"; fail=1; }
echo 'print("changed")' > "$work/add/usr/local/bin/job.py"
[[ $first != "$(recipe)" ]] || { echo "FAIL: the recipe did not follow a change in an --add directory"; fail=1; }
[[ ! -e $img ]] || { echo "FAIL: a dry run wrote $img"; fail=1; }
cases=$((cases + 3))

for f in usr/sbin/hf-init usr/local/sbin/poweroff usr/local/sbin/reboot; do
  cases=$((cases + 1))
  [[ -x $rootfs/$f ]] || { echo "FAIL: $rootfs/$f is not executable"; fail=1; continue; }
  sh -n "$rootfs/$f" || { echo "FAIL: $rootfs/$f does not parse"; fail=1; }
done

[[ $fail -eq 0 ]] && echo "build-debian-image: $cases checks passed (arguments, dry run, recipe, image scripts)"
exit $fail
