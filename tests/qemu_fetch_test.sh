#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: the oracle, QEMU 11.1, can be had and really runs here
# (vm/qemu.sh), and the script keeps its contract: a warm fetch calls
# no apt, a cold one without a mirror exits 4 with the reason, and
# IOMMUFD_NEST_QEMU takes a QEMU of one's own; the guest payload holds
# all that QEMU and strace load.  And the smmuv3 guests' QEMU: Debian
# 12's 10.0 for aarch64, whose virt machine realizes a nested SMMUv3
# under its UEFI firmware.  When no QEMU can be had, the checks
# that need one SKIP with the reason vm/qemu.sh gave.
#   tests/qemu_fetch_test.sh

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
qemu=$here/vm/qemu.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# A paused q35 with one intel-iommu config and the monitor on stdin:
# "quit" is read only once every device has been realized, so the exit
# status is 0 for a config QEMU accepts and 1 for one it refuses.
vtd()
{
	echo quit | timeout 120 "$qemu" run -M q35 -accel tcg -nodefaults \
		-display none -serial none -S -monitor stdio \
		-device "intel-iommu,$1" >"$tmp/vtd.out" 2>&1
}

# QEMU's own error lines in FILE, without the monitor's
said()
{
	grep -o 'qemu-system-[a-z0-9_]*: .*' "$1" | head -n 2 | tr '\n' ' '
}

# have NAME: whether there is a QEMU to check; if not, NAME SKIPs with
# vm/qemu.sh's reason (exit 4), or fails when the fetch broke otherwise
have()
{
	case $fetch_rc in
	0)	return 0 ;;
	4)	tap_skip "$1" "$reason" ;;
	*)	tap_ok 1 "$1" "$reason" ;;
	esac
	return 1
}

echo "TAP version 13"
echo "1..11"

fetch_rc=0
path=$("$qemu" fetch 2>"$tmp/fetch.err") || fetch_rc=$?
reason=$(tail -n 1 "$tmp/fetch.err" | sed 's/^error: //')
case $fetch_rc in
0)	grep '^\[qemu\]' "$tmp/fetch.err" | sed 's/^/# /'
	echo "# QEMU: $path" ;;
4)	;;
*)	sed 's/^/# /' "$tmp/fetch.err"
	reason="vm/qemu.sh fetch exited $fetch_rc: $reason" ;;
esac

# the version apt resolved is the series the model follows
if have version_is_11_1; then
	ver=$("$qemu" version 2>&1)
	echo "$ver" | grep -qxE '11\.1\.[0-9]+'
	tap_ok $? version_is_11_1 "vm/qemu.sh version says: $ver"
fi

# scalable mode with first-stage translation: realized
if have vtd_scalable_fsts_realizes; then
	vtd caching-mode=on,scalable-mode=on,fsts=on
	tap_ok $? vtd_scalable_fsts_realizes \
		"refused: $(said "$tmp/vtd.out")"
fi

# 11.1 dropped the x- prefix: the old name is refused at once
if have vtd_x_scalable_mode_is_gone; then
	rc=0
	vtd x-scalable-mode=on || rc=$?
	ok=1
	[ "$rc" = 1 ] &&
		grep -q "Property 'intel-iommu.x-scalable-mode' not found" \
			"$tmp/vtd.out" && ok=0
	tap_ok $ok vtd_x_scalable_mode_is_gone \
		"exit $rc: $(said "$tmp/vtd.out")"
fi

# warm: the same path again, and no apt to call
if have warm_fetch_calls_no_apt; then
	mkdir -p "$tmp/bin"
	for t in apt-get apt-cache dpkg-deb; do
		printf '#!/bin/sh\necho "%s called" >&2\nexit 1\n' "$t" \
			>"$tmp/bin/$t"
		chmod +x "$tmp/bin/$t"
	done
	again=$(PATH=$tmp/bin:$PATH "$qemu" fetch 2>&1)
	[ "$again" = "$path" ]
	tap_ok $? warm_fetch_calls_no_apt "a warm fetch printed: $again"
fi

# cold, with an empty cache and no mirror: exit 4 and say why
rc=0
out=$(env -u IOMMUFD_NEST_QEMU IOMMUFD_NEST_CACHE="$tmp/cache" \
	IOMMUFD_NEST_MIRROR=file:///nonexistent "$qemu" fetch \
	2>"$tmp/cold.err") || rc=$?
ok=1
[ "$rc" = 4 ] && [ -z "$out" ] &&
	tail -n 1 "$tmp/cold.err" | grep -q '^error: .*IOMMUFD_NEST_QEMU=PATH' &&
	ok=0
tap_ok $ok cold_without_mirror_exits_4 "exit $rc: $(tail -n 1 "$tmp/cold.err")"

# fetched here once (its apt state remembers the version), its sysroot
# gone and the mirror away: a failure, not a QEMU that cannot be had
rc=0
mkdir -p "$tmp/once/apt-qemu"
echo 1:11.1.0+ds-1 >"$tmp/once/apt-qemu/version"
env -u IOMMUFD_NEST_QEMU IOMMUFD_NEST_CACHE="$tmp/once" \
	IOMMUFD_NEST_MIRROR=file:///nonexistent "$qemu" fetch \
	>/dev/null 2>"$tmp/once.err" || rc=$?
[ "$rc" = 1 ] && tail -n 1 "$tmp/once.err" | grep -q 'fetched on this machine before'
tap_ok $? refetch_failure_is_an_error "exit $rc: $(tail -n 1 "$tmp/once.err")"

# a QEMU of one's own: fetched from nowhere, run with the arguments given
cat >"$tmp/own-qemu" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && echo "QEMU emulator version 11.1.99 (own build)"
echo "args: $*" >&2
EOF
chmod +x "$tmp/own-qemu"
ver=$(IOMMUFD_NEST_QEMU=$tmp/own-qemu IOMMUFD_NEST_CACHE="$tmp/cache" \
	"$qemu" version 2>/dev/null)
args=$(IOMMUFD_NEST_QEMU=$tmp/own-qemu IOMMUFD_NEST_CACHE="$tmp/cache" \
	"$qemu" run -M "q35,a b" 2>&1)
[ "$ver" = 11.1.99 ] && [ "$args" = "args: -M q35,a b" ]
tap_ok $? own_qemu_is_used "version: $ver; run: $args"

# the guest payload, unpacked here: its loader finds every library QEMU
# and strace need in /qemu/lib alone, and its QEMU runs
if have payload_is_closed; then
	mkdir -p "$tmp/payload"
	"$qemu" payload "$tmp/payload.cpio" 2>/dev/null &&
		(cd "$tmp/payload" && cpio -id --quiet <"$tmp/payload.cpio")
	p=$tmp/payload/qemu
	out=
	for b in qemu-system-x86_64 strace; do
		out="$out$("$p/lib/ld-linux-x86-64.so.2" --inhibit-cache \
			--library-path "$p/lib" --list "$p/bin/$b" 2>&1 |
			grep -e 'not found' -e '=> /' | grep -v "=> $p/lib/")"
	done
	[ -x "$p/qemu-system-x86_64" ] && [ -x "$p/strace" ] &&
		[ -f "$p/share/bios-256k.bin" ] && [ -z "$out" ]
	tap_ok $? payload_is_closed "outside /qemu/lib or missing: $out"
fi
if have payload_qemu_runs; then
	ver=$("$p/lib/ld-linux-x86-64.so.2" --inhibit-cache \
		--library-path "$p/lib" "$p/bin/qemu-system-x86_64" --version 2>&1 |
		head -n 1)
	case $ver in
	"QEMU emulator version 11.1."*) tap_ok 0 payload_qemu_runs ;;
	*) tap_ok 1 payload_qemu_runs "it says: $ver" ;;
	esac
fi

# QEMU 10.0 for aarch64 from bookworm-backports (vm/qemu.sh --release 10.0)
a64=("$qemu" --arch aarch64 --release 10.0)
rc=0
"${a64[@]}" fetch >/dev/null 2>"$tmp/a64.err" || rc=$?
reason=$(tail -n 1 "$tmp/a64.err" | sed 's/^error: //')
if [ "$rc" = 4 ]; then
	tap_skip aarch64_is_10_0 "$reason"
	tap_skip virt_nested_smmuv3_realizes "$reason"
else
	ver=$("${a64[@]}" version 2>&1)
	echo "$ver" | grep -qxE '10\.0\.[0-9]+'
	tap_ok $? aarch64_is_10_0 "vm/qemu.sh --arch aarch64 --release 10.0 version says: $ver (fetch: $reason)"
	# paused, the monitor on stdin: "quit" once every device is realized
	efi=$("${a64[@]}" efi 2>&1)
	echo quit | timeout 120 "${a64[@]}" run -M virt,iommu=smmuv3,gic-version=3 \
		-cpu max -accel tcg -bios "$efi" -nodefaults -display none \
		-serial none -S -monitor stdio -device edu >"$tmp/virt.out" 2>&1
	tap_ok $? virt_nested_smmuv3_realizes "firmware $efi: $(said "$tmp/virt.out")"
fi
tap_exit
