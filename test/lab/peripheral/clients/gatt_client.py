"""Independent GATT client (bleak 0.20 on hci0) for blekit's peripheral lab tests.

Usage: gatt_client.py ADDRESS PLAN_JSON [EXPECTED_SERVICE_UUID]
PLAN is a list of steps; each prints one JSON line {"step": i, ...} on stdout:
  {"op": "services"}                      -> the discovered tree
  {"op": "read", "uuid": U}               -> {"value": hex} or {"error": text}
  {"op": "write", "uuid": U, "hex": H, "response": bool}
  {"op": "notify", "uuid": U, "count": N, "timeout": S} -> sequence numbers received
  {"op": "pair"}
"""
import asyncio
import json
import sys

from bleak import BleakClient, BleakScanner


def out(obj):
    print(json.dumps(obj), flush=True)


async def find(address, timeout):
    # btvirt sends one report per advertising enable: keep scanning while the peripheral
    # re-enables its advertisement.
    return await BleakScanner.find_device_by_address(address, timeout=timeout, adapter="hci0")


async def connect(address):
    last = None
    for attempt in range(4):
        device = await find(address, 40)
        if device is None:
            last = "not found"
            continue
        client = BleakClient(device, adapter="hci0", timeout=40)
        try:
            await client.connect()
            return client
        except Exception as e:  # bleak 0.20 sometimes fails service discovery: retry
            last = repr(e)
            out({"event": "retry", "attempt": attempt, "error": last})
            await asyncio.sleep(1)
    raise RuntimeError(f"could not connect: {last}")


async def run_step(client, step):
    op = step["op"]
    if op == "services":
        tree = []
        for s in client.services:
            chars = []
            for c in s.characteristics:
                chars.append({
                    "uuid": c.uuid,
                    "handle": c.handle,
                    "properties": sorted(c.properties),
                    "descriptors": [{"uuid": d.uuid, "handle": d.handle} for d in c.descriptors],
                })
            tree.append({"uuid": s.uuid, "handle": s.handle, "characteristics": chars})
        return {"services": tree, "mtu": client.mtu_size}
    if op == "read":
        try:
            v = await client.read_gatt_char(step["uuid"])
            return {"value": bytes(v).hex()}
        except Exception as e:
            return {"error": repr(e)}
    if op == "read_descriptor":
        try:
            char = client.services.get_characteristic(step["uuid"])
            desc = char.get_descriptor(step["descriptor"])
            v = await client.read_gatt_descriptor(desc.handle)
            return {"value": bytes(v).hex()}
        except Exception as e:
            return {"error": repr(e)}
    if op == "write":
        try:
            await client.write_gatt_char(step["uuid"], bytes.fromhex(step["hex"]), response=step["response"])
            return {"ok": True}
        except Exception as e:
            return {"error": repr(e)}
    if op == "notify":
        seqs = []
        done = asyncio.Event()

        def on_value(_, data):
            seqs.append(int.from_bytes(bytes(data[:4]), "little"))
            if len(seqs) >= step["count"]:
                done.set()

        await client.start_notify(step["uuid"], on_value)
        out({"event": "subscribed", "uuid": step["uuid"]})
        try:
            await asyncio.wait_for(done.wait(), step.get("timeout", 120))
        except asyncio.TimeoutError:
            pass
        await client.stop_notify(step["uuid"])
        return {"received": len(seqs), "seqs": seqs}
    if op == "pair":
        try:
            ok = await client.pair()
            return {"paired": bool(ok)}
        except Exception as e:
            return {"error": repr(e)}
    if op == "sleep":
        await asyncio.sleep(step["seconds"])
        return {}
    raise ValueError(f"unknown op {op}")


def missing(client, expect, plan):
    """What the plan needs that bleak's view of the database lacks."""
    services = {s.uuid for s in client.services}
    chars = {c.uuid for s in client.services for c in s.characteristics}
    wanted = {step["uuid"] for step in plan if "uuid" in step}
    gone = [expect] if expect is not None and expect not in services else []
    return gone + sorted(wanted - chars)


async def connect_with(address, expect, plan):
    # bleak 0.20 reads the service objects once, at connect; right after the peripheral
    # registered, bluetoothd's client side can still be resolving them (once a rediscovery on
    # a fresh bearer left our service with 5 of its 13 characteristics): reconnect then.
    for attempt in range(4):
        client = await connect(address)
        gone = missing(client, expect, plan)
        if not gone:
            return client
        out({"event": "retry", "attempt": attempt, "error": f"missing {gone}"})
        await client.disconnect()
        await asyncio.sleep(2)
    raise RuntimeError(f"never saw {gone}")


async def main():
    address = sys.argv[1]
    plan = json.loads(sys.argv[2])
    expect = sys.argv[3] if len(sys.argv) > 3 else None
    client = await connect_with(address, expect, plan)
    out({"event": "connected"})
    try:
        for i, step in enumerate(plan):
            res = await run_step(client, step)
            res["step"] = i
            out(res)
    finally:
        await client.disconnect()
    out({"event": "done"})


asyncio.run(main())
