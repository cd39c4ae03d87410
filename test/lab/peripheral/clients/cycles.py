"""bleak 0.20 on hci0 looping connect -> discover -> read -> disconnect against one peripheral.

Usage: cycles.py ADDRESS CHAR_UUID COUNT [subscribe]
Scans once (the device object then stays known to bluetoothd), prints {"event": "found"},
then one JSON line per cycle: {"cycle": i, "ok": bool, "ms": t, "error": text, "value": hex,
"phases": {"connect": ms, "read": ms, ["subscribe": ms,] "disconnect": ms}}
and finally {"event": "done", "failures": n, "cycles": COUNT}. With `subscribe` each cycle also
starts notifications after the read, the cycle blekit's soak runs, so the phases compare.
"""
import asyncio
import json
import sys
import time

from bleak import BleakClient, BleakScanner


def out(obj):
    print(json.dumps(obj), flush=True)


def describe(e):
    msg = str(e)
    return '%s: %s' % (type(e).__name__, msg) if msg else type(e).__name__


async def cycle(device, uuid, subscribe, phases):
    client = BleakClient(device, adapter='hci0', timeout=20)
    t = time.monotonic()

    def lap(name):
        nonlocal t
        now = time.monotonic()
        phases[name] = round((now - t) * 1000)
        t = now

    try:
        await client.connect()
        lap('connect')
        if client.services.get_characteristic(uuid) is None:
            raise RuntimeError('characteristic %s not discovered' % uuid)
        value = bytes(await client.read_gatt_char(uuid)).hex()
        lap('read')
        if subscribe:
            await client.start_notify(uuid, lambda _c, _d: None)
            lap('subscribe')
        return value
    finally:
        t = time.monotonic()
        # Not connected after a failed connect is fine; a hang here is a failure of its own.
        await asyncio.wait_for(client.disconnect(), 20)
        lap('disconnect')


async def main():
    address, uuid, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    subscribe = len(sys.argv) > 4 and sys.argv[4] == 'subscribe'
    device = await BleakScanner.find_device_by_address(address, timeout=120, adapter='hci0')
    if device is None:
        out({'event': 'not-found'})
        return
    out({'event': 'found'})
    failures = 0
    for i in range(count):
        t0 = time.monotonic()
        res = {'cycle': i, 'at': time.time(), 'phases': {}}
        try:
            res['value'] = await asyncio.wait_for(cycle(device, uuid, subscribe, res['phases']), 60)
            res['ok'] = True
        except Exception as e:  # every failure is counted, never retried
            res['ok'] = False
            res['error'] = describe(e)
            failures += 1
        res['ms'] = round((time.monotonic() - t0) * 1000)
        out(res)
        if 'org.freedesktop.DBus.Error' in res.get('error', ''):
            # bluetoothd itself is gone (seen: BlueZ 5.66 segfaulting mid-run): nothing to count.
            out({'event': 'stack-gone', 'error': res['error']})
            return
        # Let bluetoothd settle the disconnect as a user's loop would between attempts.
        await asyncio.sleep(0.5)
    out({'event': 'done', 'failures': failures, 'cycles': count})


asyncio.run(main())
