"""Subscribes to the Heart Rate Measurement (0x2A37) of ADDRESS and reads Body Sensor Location.

Usage: heart_rate.py ADDRESS COUNT — prints {"measurements": [...], "location": hex}.
"""
import asyncio
import json
import sys

from bleak import BleakClient, BleakScanner

HRM = "00002a37-0000-1000-8000-00805f9b34fb"
BSL = "00002a38-0000-1000-8000-00805f9b34fb"


async def main():
    address, count = sys.argv[1], int(sys.argv[2])
    device = None
    for _ in range(3):
        device = await BleakScanner.find_device_by_address(address, timeout=40, adapter="hci0")
        if device:
            break
    if device is None:
        raise RuntimeError("not found")
    got = []
    done = asyncio.Event()
    client = BleakClient(device, adapter="hci0", timeout=40)
    for attempt in range(4):
        try:
            await client.connect()
            break
        except Exception as e:  # bleak 0.20 races service resolution: retry
            print(json.dumps({"event": "retry", "error": repr(e)}), flush=True)
            await asyncio.sleep(2)
    if not client.is_connected:
        raise RuntimeError("could not connect")
    try:
        print(json.dumps({"event": "connected"}), flush=True)

        def on_value(_, data):
            got.append(bytes(data).hex())
            if len(got) >= count:
                done.set()

        await client.start_notify(HRM, on_value)
        await asyncio.wait_for(done.wait(), 120)
        await client.stop_notify(HRM)
        location = bytes(await client.read_gatt_char(BSL)).hex()
    finally:
        await client.disconnect()
    print(json.dumps({"measurements": got, "location": location}), flush=True)


asyncio.run(main())
