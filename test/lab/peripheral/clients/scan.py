"""Scans on hci0 (bleak 0.20) and prints, as JSON lines, every advertisement seen from ADDRESS.

Usage: scan.py ADDRESS SECONDS
Prints {"event": "scanning"} once the scan runs, then one line per report.
"""
import asyncio
import json
import sys

from bleak import BleakScanner


def out(obj):
    print(json.dumps(obj), flush=True)


async def main():
    address = sys.argv[1].upper()
    seconds = float(sys.argv[2])

    others = set()

    def on_adv(device, adv):
        if device.address.upper() != address:
            others.add(device.address)
            return
        out({
            "local_name": adv.local_name,
            "service_uuids": sorted(adv.service_uuids),
            "manufacturer_data": {str(k): bytes(v).hex() for k, v in adv.manufacturer_data.items()},
            "service_data": {k: bytes(v).hex() for k, v in adv.service_data.items()},
            "tx_power": adv.tx_power,
            "appearance": device.details.get("props", {}).get("Appearance"),
        })

    scanner = BleakScanner(on_adv, adapter="hci0")
    await scanner.start()
    out({"event": "scanning"})
    await asyncio.sleep(seconds)
    await scanner.stop()
    out({"event": "done", "others": sorted(others)})


asyncio.run(main())
