#!/bin/bash
# SPDX-License-Identifier: MIT
# Binds every card of VALIRQ_CARDS (vendor:device, from /etc/validate/validate.conf) to valirq through
# driver_override, so that no vendor driver holds it; run at boot by validate-bind.service.
set -euo pipefail
: "${VALIRQ_CARDS:?set VALIRQ_CARDS (see /etc/validate/validate.conf)}"
[[ -d /sys/module/valirq ]] || modprobe valirq
sys=${PCI_SYSFS:-/sys/bus/pci}
bound=0
for dev in "$sys"/devices/*; do
    id="$(sed 's/^0x//' "$dev/vendor"):$(sed 's/^0x//' "$dev/device")"
    [[ " $VALIRQ_CARDS " == *" $id "* ]] || continue
    addr=$(basename "$dev")
    echo valirq > "$dev/driver_override"
    if [[ -e $dev/driver ]]; then
        [[ $(basename "$(readlink -f "$dev/driver")") == valirq ]] && { echo "bind-cards: $addr ($id) already on valirq"; bound=$((bound + 1)); continue; }
        echo "$addr" > "$dev/driver/unbind"
    fi
    echo "$addr" > "$sys/drivers_probe"
    [[ $(basename "$(readlink -f "$dev/driver")") == valirq ]] || { echo "bind-cards: $addr ($id) did not bind to valirq" >&2; exit 1; }
    echo "bind-cards: $addr ($id) bound to valirq"
    bound=$((bound + 1))
done
((bound > 0)) || { echo "bind-cards: no card matches VALIRQ_CARDS=$VALIRQ_CARDS" >&2; exit 1; }
