#!/bin/bash
# Stage 2 of the lab VM, inside the chroot of the host's root: starts the
# system bus, the virtual controllers, the HCI trace and bluetoothd, waits
# until every controller is powered on D-Bus, runs the job's command and
# powers the VM off. Markers starting with @@blekit-lab are read by the host.
set -u
JOB=/tmp/blekit-lab-job
# shellcheck source=/dev/null
. "$JOB/config"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/home
export BLEKIT_IN_LAB=1
mkdir -p "$HOME"
say() { echo "@@blekit-lab progress $*"; }
poweroff_now() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 30
}
fatal() {
  echo "@@blekit-lab fatal $*"
  dmesg >"$JOB/dmesg.txt" 2>&1
  [ -n "${BTMON_PIDS:-}" ] && kill -INT $BTMON_PIDS 2>/dev/null && sleep 1
  poweroff_now
}

hostname blekit-lab 2>/dev/null
ip link set lo up 2>/dev/null || busybox ifconfig lo 127.0.0.1 up 2>/dev/null

say "starting the system bus"
mkdir -p /run/dbus
dbus-daemon --system --fork --nopidfile || fatal "dbus-daemon failed"

# btvirt answers the kernel's HCI commands from user space; on a loaded host it can miss the
# kernel's 2 s command timeout during controller setup ("Opcode 0x0c03 failed: -110") and the
# controller never works. So each controller must power on over mgmt before bluetoothd starts,
# or btvirt is restarted.
last=$((LAB_CONTROLLERS - 1))
start_controllers() {
  btvirt -L -l"$LAB_CONTROLLERS" >>"$JOB/btvirt.log" 2>&1 &
  BTVIRT_PID=$!
  local appear=$((SECONDS + 30))
  until [ -e "/sys/class/bluetooth/hci$last" ]; do
    [ "$SECONDS" -ge "$appear" ] && return 1
    sleep 0.1
  done
  for i in $(seq 0 "$last"); do
    script -qec "btmgmt -i hci$i power on" /dev/null 2>&1 | grep -q 'settings: powered' || return 1
  done
}
for attempt in 1 2 3; do
  say "starting btvirt with $LAB_CONTROLLERS LE controllers"
  start_controllers && break
  [ "$attempt" = 3 ] && fatal "controllers failed to initialise 3 times (see dmesg.txt, btvirt.log)"
  say "a controller failed to initialise; restarting btvirt"
  kill "$BTVIRT_PID" 2>/dev/null
  wait "$BTVIRT_PID" 2>/dev/null
  gone=$((SECONDS + 10))
  while [ -e /sys/class/bluetooth/hci0 ] && [ "$SECONDS" -lt "$gone" ]; do sleep 0.1; done
done

btmon -w "$JOB/hci.btsnoop" >/dev/null 2>&1 &
BTMON_PIDS=$!
if [ "${LAB_BTMON_TEXT:-1}" = 1 ]; then
  btmon -T >"$JOB/btmon.txt" 2>&1 &
  BTMON_PIDS="$BTMON_PIDS $!"
fi

say "starting bluetoothd"
BLUETOOTHD_ARGS=(-n)
[ "${LAB_BLUETOOTHD_DEBUG:-0}" = 1 ] && BLUETOOTHD_ARGS+=(-d)
/usr/libexec/bluetooth/bluetoothd "${BLUETOOTHD_ARGS[@]}" >"$JOB/bluetoothd.log" 2>&1 &
BLUETOOTHD_PID=$!

powered() {
  dbus-send --system --print-reply --dest=org.bluez "/org/bluez/hci$1" \
    org.freedesktop.DBus.Properties.Get string:org.bluez.Adapter1 string:Powered 2>/dev/null |
    grep -q 'boolean true'
}
# Deadlines in seconds, not loop counts: under load each check takes longer.
deadline=$((SECONDS + ${LAB_READY_TIMEOUT:-60}))
for i in $(seq 0 "$last"); do
  nudged=$((SECONDS + 5))
  until powered "$i"; do
    [ "$SECONDS" -ge "$deadline" ] && fatal "hci$i not powered on D-Bus after ${LAB_READY_TIMEOUT:-60}s (see bluetoothd.log, dmesg.txt)"
    # bluetoothd powers adapters itself when AutoEnable is on; nudge it otherwise.
    if [ "$SECONDS" -ge "$nudged" ]; then
      btmgmt -i "hci$i" power on >/dev/null 2>&1
      nudged=$((SECONDS + 5))
    fi
    sleep 0.2
  done
done
say "ready: $LAB_CONTROLLERS controllers powered, bluetoothd on D-Bus"

# Environment the caller passed through, NUL-separated NAME=VALUE entries.
if [ -s "$JOB/env" ]; then
  while IFS= read -r -d '' kv; do export "${kv?}"; done <"$JOB/env"
fi
mapfile -d '' -t ARGV <"$JOB/argv"
cd "$LAB_CWD" 2>/dev/null || cd "$LAB_PROJECT" || cd /

if [ "$LAB_MODE" = shell ]; then
  echo "@@blekit-lab start"
  echo "blekit lab shell: $LAB_CONTROLLERS controllers, bluetoothd running. 'exit' powers the VM off."
  setsid -c bash -i </dev/console >/dev/console 2>&1
  rc=$?
else
  stty -onlcr 2>/dev/null
  echo "@@blekit-lab start"
  timeout -k 5 "$LAB_CMD_TIMEOUT" "${ARGV[@]}" </dev/null
  rc=$?
  [ $rc = 124 ] && echo "blekit lab: the command exceeded its ${LAB_CMD_TIMEOUT}s limit and was killed"
fi
printf '@@blekit-lab exit %d\n' "$rc"

# btmon must see SIGINT before power-off or the trace is cut short.
kill -INT $BTMON_PIDS 2>/dev/null
kill -TERM "$BLUETOOTHD_PID" 2>/dev/null
for _ in $(seq 1 50); do
  kill -0 $BTMON_PIDS "$BLUETOOTHD_PID" 2>/dev/null || break
  sleep 0.1
done
dmesg >"$JOB/dmesg.txt" 2>&1
echo "$rc" >"$JOB/rc"
poweroff_now
