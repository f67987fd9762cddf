#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: config conformance with the real QEMU 11.1 (vm/qemu.sh).  Each
# config of tests/conformance/configs is realized by QEMU as a -device
# of a paused machine (q35, or virt for arm-smmuv3) and parsed by the
# model (nest_report --viommu); both must accept it, or both refuse it
# with the same message (the model may add a hint in parentheses).
# Configs QEMU has no device for (selftest-iommu) are the model's alone;
# arm-smmuv3 accel=on needs KVM: under TCG it SKIPs here, and must be in
# tests/conformance/device_configs, which the smmuv3-nested guest's QEMU
# realizes under its own KVM (vm/guest/qemu_vmm_edu).
# QEMU's verdicts are kept in the cache per QEMU build: a warm run asks
# QEMU only about strings it has not seen (NEST_QEMU_FRESH=1: all).
#   tests/conformance_config.sh NEST_REPORT [CONFIGS]

set -u
FLOOR=80
here=$(cd "$(dirname "$0")/.." && pwd)
report=$1
configs=${2:-$here/tests/conformance/configs}
# the configs the guests' device conformance realizes (under KVM, too)
device_configs=$here/tests/conformance/device_configs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# Where QEMU realizes each kind, from the model's registry: PLACE[name]
# and PLACE[QEMU's name] are "DEVICE ARCH MACHINE PROPS", "-" for none
declare -A PLACE
while IFS=$'\t' read -r name device arch machine fixed; do
	[ "$arch" = - ] && continue
	PLACE[$name]="$device $arch $machine $fixed"
	[ "$device" = - ] || PLACE[$device]=${PLACE[$name]}
done < <("$report" --list-kinds)
[ "${#PLACE[@]}" -gt 0 ] || { echo "$report --list-kinds listed no kind" >&2; exit 1; }

# qemu_verdict CONFIG: "realized" or "refused: MESSAGE" from QEMU 11.1
qemu_verdict()
{
	local cfg=$1 kind=${1%%,*} props='' device arch machine fixed dev rc

	[ "$kind" = "$cfg" ] || props=,${cfg#*,}
	if [ -z "${PLACE[$kind]:-}" ]; then
		echo "no QEMU device"
		return
	fi
	read -r device arch machine fixed <<<"${PLACE[$kind]}"
	dev=()
	[ "$fixed" = - ] || props=,$fixed$props
	[ "$device" = - ] || dev=(-device "$device$props")
	# the monitor reads "quit" only once every device is realized
	echo quit | timeout 60 "$here/vm/qemu.sh" --arch "$arch" run \
		-M "$machine" -accel tcg -nodefaults -display none \
		-serial none -monitor stdio -S "${dev[@]}" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	# QEMU exits 1 when a device is refused; 124 is timeout's, 128 and
	# up a signal's: no verdict, and never cached
	case $rc in
	0)	echo realized ;;
	1)	echo "refused: $(grep -m1 -v '^\[qemu\]' "$tmp/err" |
			sed 's/^[^:]*: -device [^:]*: //')" ;;
	124)	echo "broken: QEMU timed out after 60 s" ;;
	*)	echo "broken: QEMU exited with status $rc: $(tail -n 1 "$tmp/err")" ;;
	esac
}

# qemu_binary ARCH: the QEMU binary vm/qemu.sh runs (its wrapper's)
qemu_binary()
{
	local q

	q=$("$here/vm/qemu.sh" --arch "$1" fetch 2>/dev/null) || return 1
	case $q in
	*/wrap/*) echo "${q%/wrap/*}/usr/bin/${q##*/}" ;;
	*)	echo "$q" ;;
	esac
}

# model_verdict CONFIG: "realized" or "refused: MESSAGE" from the model
model_verdict()
{
	if "$report" --viommu "$1" >/dev/null 2>"$tmp/merr"; then
		echo realized
	else
		echo "refused: $(sed "s/^error: --viommu '[^']*': //" "$tmp/merr" | head -n 1)"
	fi
}

# same_verdict QEMU MODEL: both realized, or both refused for the same
# reason: the model's message is QEMU's, maybe followed by a " (hint)"
same_verdict()
{
	[ "$1" = "$2" ] && return 0
	case "$1" in
	refused:*) [ "${2#"$1 ("}" != "$2" ] ;;
	*) return 1 ;;
	esac
}

echo "TAP version 13"
mapfile -t list < <(grep -av '^#' "$configs" | grep -av '^$')
echo "1..$((${#list[@]} + 1))"
rc=0
"$here/vm/qemu.sh" version >"$tmp/ver" 2>"$tmp/why" &&
	"$here/vm/qemu.sh" --arch aarch64 version >/dev/null 2>>"$tmp/why" ||
	rc=$?
if [ "$rc" != 0 ]; then
	# the same names as a run has, each with the reason: a SKIP only
	# when no QEMU can be had here (vm/qemu.sh exits 4), else a failure
	why=$(tail -n 1 "$tmp/why")
	for cfg in "${list[@]}" corpus_floor; do
		if [ "$rc" = 4 ]; then
			tap_skip "$cfg" "no QEMU 11.1: $why"
		else
			tap_ok 1 "$cfg" "QEMU 11.1 is broken (vm/qemu.sh exit $rc): $why"
		fi
	done
	tap_exit
fi
echo "# QEMU $(cat "$tmp/ver") against the model, ${#list[@]} configs"
# QEMU's verdict on a string depends only on its binaries and on how
# the verdict is read: kept per those in the cache (the binaries' own
# bytes, not their version strings), unless NEST_QEMU_FRESH=1
cache=${IOMMUFD_NEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-nest}
key=$({ sha1sum <"$(qemu_binary x86_64)"; sha1sum <"$(qemu_binary aarch64)"
	declare -f qemu_verdict; } | sha1sum | cut -c1-10)
verdicts=$cache/qemu-verdicts-$key.tsv
declare -A cached=()
if [ "${NEST_QEMU_FRESH:-0}" != 1 ] && [ -f "$verdicts" ]; then
	while IFS=$'\t' read -r c v; do
		cached[$c]=$v
	done <"$verdicts"
fi
agree=0
differ=0
ran=0
for cfg in "${list[@]}"; do
	if [ -n "${cached[$cfg]+set}" ]; then
		q=${cached[$cfg]}
	else
		q=$(qemu_verdict "$cfg")
		ran=$((ran + 1))
		case $q in
		broken:*) ;;
		*) printf '%s\t%s\n' "$cfg" "$q" >>"$tmp/new" ;;
		esac
	fi
	m=$(model_verdict "$cfg")
	if [ "$q" = "no QEMU device" ]; then
		tap_skip "$cfg" "QEMU has no such device: the model's alone"
		continue
	fi
	case "$q" in
	*"requires KVM"*)
		# accel=on needs KVM: the device conformance in the smmuv3-nested
		# guest, where QEMU runs under KVM, must realize it
		if grep -qxF -- "$cfg" "$device_configs"; then
			tap_skip "$cfg" "QEMU cannot realize it under TCG ($q): compared under KVM by qemu_vmm_edu in smmuv3-nested"
		else
			tap_ok 1 "$cfg" "QEMU realizes it only under KVM ($q), and it is not in $device_configs: nothing compares it"
		fi
		continue ;;
	esac
	echo "# qemu:  $q"
	echo "# model: $m"
	same_verdict "$q" "$m"
	rc=$?
	[ $rc = 0 ] && agree=$((agree + 1)) || differ=$((differ + 1))
	tap_ok $rc "$cfg"
done
echo "# $agree agree, $differ disagree; QEMU ran for $ran strings, $((${#list[@]} - ran)) verdicts came from $verdicts"
# the cache gets whole lines or nothing
if [ -s "$tmp/new" ] && mkdir -p "$cache"; then
	{ cat "$verdicts" 2>/dev/null; cat "$tmp/new"; } >"$verdicts.$$" &&
		mv "$verdicts.$$" "$verdicts"
fi
# fewer compared strings than this: the corpus or QEMU went missing
[ $((agree + differ)) -ge $FLOOR ]
tap_ok $? corpus_floor "$((agree + differ)) strings compared, at least $FLOOR expected"
tap_exit
