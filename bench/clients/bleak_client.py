#!/usr/bin/python3
# bleak (Debian's python3-bleak) as a bench client: the same measurements as driver.ts,
# the same JSON config (argv[1]) and result line. Run with /usr/bin/python3.
import asyncio
import json
import resource
import statistics
import struct
import sys
import time

import bleak
from bleak import BleakClient, BleakScanner

SCANNING_MARK = '@@bench-scanning'
ADV_RATE_MARK = '@@bench-adv-rate-scanning'
BURST_DONE_MARK = '@@bench-burst-done'
ADV_COMPANY = 0xffff
BURST_QUIET = 3.0
BURST_LIMIT = 90.0
RESULT_MARK = '@@bench-result '
CONTROL_RESET, CONTROL_FLOOD_ON, CONTROL_FLOOD_OFF = 1, 2, 3
PAYLOAD_BYTES = 20
UNSUBSCRIBE_LIMIT = 15.0
DRAIN_QUIET = 1.0
CONNECT_ATTEMPTS = 3


def now_ms():
    return time.time() * 1000


def cpu_ms():
    return time.process_time() * 1000


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1048576


def quantile(xs, q):
    if not xs:
        return None
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def ops_result(lat, seconds):
    return {'ops': len(lat), 'seconds': seconds, 'opsPerSec': len(lat) / seconds,
            'medianMs': quantile(lat, 0.5), 'p95Ms': quantile(lat, 0.95)}


def describe(e):
    # Some exceptions (asyncio's TimeoutError) have an empty str(): name the type too.
    msg = str(e)
    return '%s: %s' % (type(e).__name__, msg) if msg else type(e).__name__


def adv_counter(data, burst):
    # protocol.ts advPayload: tag b1 e0, burst id u16 LE, counter u32 LE.
    if len(data) != 8 or data[0] != 0xb1 or data[1] != 0xe0:
        return None
    bid, counter = struct.unpack_from('<HI', data, 2)
    return counter if bid == burst else None


def wait_burst_done():
    # Blocking read of stdin (run in a thread): the harness writes the mark after the burst.
    for line in sys.stdin:
        if line.strip() == BURST_DONE_MARK:
            return time.time()
    return 0.0


def payload(i):
    return struct.pack('<I', i & 0xffffffff) + bytes(PAYLOAD_BYTES - 4)


class SeqTracker:
    def __init__(self):
        self.seen = set()
        self.max = -1
        self.duplicates = 0
        self.out_of_order = 0
        self.count = 0
        # When count last moved, as seen by poll() (no clock read per notification).
        self.last_at = 0.0
        self.polled_count = 0

    def add(self, data):
        if len(data) < 4:
            return
        s = struct.unpack_from('<I', data)[0]
        self.count += 1
        if s in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(s)
        if s < self.max:
            self.out_of_order += 1
        else:
            self.max = s

    @property
    def lost(self):
        return self.max + 1 - len(self.seen)

    def poll(self):
        if self.count != self.polled_count:
            self.polled_count = self.count
            self.last_at = time.time()


class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.u = cfg['uuids']
        self.errors = []
        self.client = None

    async def step(self, name, coro):
        try:
            return await coro
        except Exception as e:  # every failure is reported, none ends the run
            self.errors.append('%s: %s' % (name, describe(e)))
            return None

    async def scan(self):
        found = asyncio.get_running_loop().create_future()
        want = self.cfg['address'].upper()

        def seen(device, _adv):
            if device.address.upper() == want and not found.done():
                found.set_result(device)

        # Without an adapter bleak 0.20 takes the "first powered" one from a set, whose order
        # varies with Python's string hashing per process: it scanned on the peripheral's own
        # hci1 in some runs and never saw it.
        scanner = BleakScanner(detection_callback=seen, adapter=self.cfg['adapter'])
        await scanner.start()
        print(SCANNING_MARK, flush=True)
        try:
            try:
                return await asyncio.wait_for(found, 30)
            except asyncio.TimeoutError:
                raise TimeoutError('%s not seen in 30 s on %s' % (want, self.cfg['adapter']))
        finally:
            await scanner.stop()

    async def adv_rate(self):
        # Distinct burst counters surfaced (driver.ts advRate), after disconnect.
        bid, count = self.cfg['advBurst']['id'], self.cfg['advBurst']['count']
        want = self.cfg['address'].upper()
        seen = set()
        r = {'distinct': 0, 'reports': 0, 'firstAt': 0, 'lastAt': 0, 'cpuMs': 0}
        st = {'report_at': 0.0, 'done_at': 0.0}

        def on_adv(device, adv):
            if device.address.upper() != want:
                return
            m = adv.manufacturer_data.get(ADV_COMPANY)
            c = adv_counter(m, bid) if m is not None else None
            if c is None:
                return
            r['reports'] += 1
            st['report_at'] = time.time()
            if c in seen:
                return
            seen.add(c)
            r['lastAt'] = st['report_at'] * 1000
            if not r['firstAt']:
                r['firstAt'] = r['lastAt']

        scanner = BleakScanner(detection_callback=on_adv, adapter=self.cfg['adapter'])
        await scanner.start()
        done = asyncio.get_running_loop().run_in_executor(None, wait_burst_done)
        done.add_done_callback(
            lambda f: st.__setitem__('done_at', f.result() if not f.exception() else 0.0))
        print(ADV_RATE_MARK, flush=True)
        cpu0 = cpu_ms()
        hard_end = time.time() + BURST_LIMIT
        try:
            while time.time() < hard_end:
                await asyncio.sleep(0.1)
                if not st['done_at']:
                    continue
                if (count - 1 in seen
                        or time.time() - max(st['done_at'], st['report_at']) > BURST_QUIET):
                    break
            if not st['done_at']:
                raise TimeoutError('no end of burst within %d s' % BURST_LIMIT)
            r['cpuMs'] = cpu_ms() - cpu0
        finally:
            await asyncio.wait_for(scanner.stop(), 15)
        r['distinct'] = len(seen)
        return r

    async def warm_up(self, op):
        # Untimed calls first, as the Node clients make (driver.ts).
        end = time.perf_counter() + self.cfg['warmupMs'] / 1000
        i = 0
        while time.perf_counter() < end:
            await op(i)
            i += 1

    async def timed(self, op):
        await self.warm_up(op)
        lat = []
        start = time.perf_counter()
        end = start + self.cfg['durationMs'] / 1000
        i = 0
        while time.perf_counter() < end:
            t = time.perf_counter()
            await op(i)
            lat.append((time.perf_counter() - t) * 1000)
            i += 1
        return ops_result(lat, time.perf_counter() - start)

    async def stats(self):
        return json.loads(bytes(await self.client.read_gatt_char(self.u['stats'])))

    async def wwr(self):
        c = self.client
        await self.warm_up(lambda i: c.write_gatt_char(self.u['wwr'], payload(i), response=False))
        # Let warm-up writes still on their way arrive before the reset (as driver.ts does).
        last, n = -1, (await self.stats())['wwr']
        end = time.time() + 10
        while n != last and time.time() < end:
            last = n
            await asyncio.sleep(0.3)
            n = (await self.stats())['wwr']
        await c.write_gatt_char(self.u['control'], bytes([CONTROL_RESET]), response=True)
        start = now_ms()
        sent = 0
        while now_ms() < start + self.cfg['durationMs']:
            await c.write_gatt_char(self.u['wwr'], payload(sent), response=False)
            sent += 1
        send_sec = (now_ms() - start) / 1000
        s = await self.stats()
        last, still = s['wwr'], time.time()
        while s['wwr'] < sent and time.time() - still < DRAIN_QUIET:
            await asyncio.sleep(0.1)
            s = await self.stats()
            if s['wwr'] != last:
                last, still = s['wwr'], time.time()
        deliver_sec = max(s['wwrLast'] - start, 1) / 1000
        return {'sent': sent, 'arrived': s['wwr'], 'sendPerSec': sent / send_sec,
                'deliveredPerSec': s['wwr'] / deliver_sec}

    async def notify(self):
        c = self.client
        W = self.cfg['creditWindow']
        top_up = self.cfg['creditTopUp']
        tr = SeqTracker()
        # The window opens at the first notification; a timer closes it and takes the count.
        st = {'owed': 0, 'granting': False, 'granted': 0, 'open': True,
              'opened': False, 'done': False, 'in': 0, 'timer': None}
        loop = asyncio.get_running_loop()

        def grant():
            if st['granting'] or st['owed'] == 0 or not st['open']:
                return
            n = min(st['owed'], 0xffff)
            st['owed'] -= n
            st['granting'] = True
            st['granted'] += n

            async def go():
                try:
                    await c.write_gatt_char(self.u['credits'], struct.pack('<H', n), response=False)
                except Exception as e:
                    self.errors.append('credits: %s' % describe(e))
                st['granting'] = False
                if st['owed'] >= top_up:
                    grant()
            loop.create_task(go())

        def close_window():
            st['in'] = tr.count
            st['done'] = True

        def on_value(_h, data):
            tr.add(data)
            if not st['opened']:
                st['opened'] = True
                st['timer'] = loop.call_later(self.cfg['notifyMs'] / 1000, close_window)
            st['owed'] += 1
            if st['owed'] >= top_up:
                grant()

        await c.write_gatt_char(self.u['credits'], b'\xff\xff\xff\xff', response=True)
        await c.start_notify(self.u['seq'], on_value)
        cpu0 = cpu_ms()
        subscribed_at = time.time()
        st['owed'] = W
        grant()
        stalls = 0
        hard_end = time.time() + self.cfg['notifyMs'] / 1000 + 15
        while time.time() < hard_end:
            await asyncio.sleep(0.25)
            tr.poll()
            if st['done']:
                break
            if (time.time() - max(tr.last_at, subscribed_at) > 1 and not st['granting']
                    and st['granted'] - len(tr.seen) > 0):
                stalls += 1
                st['owed'] += st['granted'] - len(tr.seen)
                st['granted'] = len(tr.seen)
                grant()
        st['open'] = False
        if st['timer']:
            st['timer'].cancel()
        used = cpu_ms() - cpu0
        at_stop = tr.count
        drain_end = time.time() + 5
        while time.time() < drain_end and time.time() - tr.last_at < DRAIN_QUIET:
            await asyncio.sleep(0.1)
            tr.poll()
        t = time.perf_counter()
        await asyncio.wait_for(c.stop_notify(self.u['seq']), UNSUBSCRIBE_LIMIT)
        unsub = (time.perf_counter() - t) * 1000
        seconds = self.cfg['notifyMs'] / 1000
        return {'received': st['in'], 'seconds': seconds,
                'perSec': st['in'] / seconds if st['done'] else 0, 'lost': tr.lost,
                'duplicates': tr.duplicates, 'outOfOrder': tr.out_of_order, 'stalls': stalls,
                'cpuMsPer1000': used / at_stop * 1000 if at_stop else None,
                'unsubscribeMs': unsub}

    async def flood(self):
        c = self.client
        tr = SeqTracker()
        st = {'subscribed': True, 'after': 0}

        def on_value(_h, data):
            if st['subscribed']:
                tr.add(data)
            else:
                st['after'] += 1

        await c.write_gatt_char(self.u['credits'], b'\xff\xff\xff\xff', response=True)
        await c.start_notify(self.u['seq'], on_value)
        rss_start = rss_mib()
        rss_peak = rss_start
        lat = []
        failed = 0
        await c.write_gatt_char(self.u['control'], bytes([CONTROL_FLOOD_ON]), response=True)
        start = time.time()
        while time.time() - start < self.cfg['notifyMs'] / 1000:
            t = time.perf_counter()
            try:
                await asyncio.wait_for(c.read_gatt_char(self.u['read']), 5)
                lat.append((time.perf_counter() - t) * 1000)
            except Exception:
                failed += 1
            rss_peak = max(rss_peak, rss_mib())
            await asyncio.sleep(0.25)
        seconds = time.time() - start
        received = tr.count
        unsub = None
        t = time.perf_counter()
        try:
            await asyncio.wait_for(c.stop_notify(self.u['seq']), UNSUBSCRIBE_LIMIT)
            unsub = (time.perf_counter() - t) * 1000
        except Exception as e:
            self.errors.append('flood unsubscribe: %r' % e)
        st['subscribed'] = False
        try:
            await asyncio.wait_for(c.write_gatt_char(
                self.u['control'], bytes([CONTROL_FLOOD_OFF]), response=True), 15)
        except Exception as e:
            self.errors.append('flood off: %r' % e)
        await asyncio.sleep(1)
        rss_peak = max(rss_peak, rss_mib())
        return {'seconds': seconds, 'received': received, 'lost': tr.lost,
                'readMedianMs': quantile(lat, 0.5), 'readMaxMs': max(lat) if lat else None,
                'readsFailed': failed, 'rssStartMiB': rss_start, 'rssPeakMiB': rss_peak,
                'unsubscribeMs': unsub, 'afterUnsubscribe': st['after']}

    async def run(self):
        res = {'library': 'bleak', 'version': getattr(bleak, '__version__', '') or version(),
               'errors': self.errors}
        tests = set(self.cfg['tests'])
        device = await self.step('scan', self.scan())
        if device is None:
            res['peakRssMiB'] = peak_rss_mib()
            return res
        res['scanSeenAt'] = now_ms()
        # bleak 0.20 sometimes gives up with "failed to discover services, device disconnected"
        # and then disconnects by itself (seen when bluetoothd logged "device_add_connection()
        # ... is already connected" for that link, so the Connected property bleak waits on
        # never changed). A user would retry; so does the bench, timing the attempt that worked
        # and keeping the failed ones in the result's notes.
        failures = []
        while True:
            t0 = time.perf_counter()
            self.client = BleakClient(device, adapter=self.cfg['adapter'])
            try:
                await self.client.connect(timeout=30)
                _ = self.client.services
                break
            except Exception as e:
                failures.append(describe(e))
                if len(failures) == CONNECT_ATTEMPTS:
                    self.errors.append('connect: %s' % ' | '.join(failures))
                    res['peakRssMiB'] = peak_rss_mib()
                    return res
                await asyncio.sleep(1)
        res['connectMs'] = (time.perf_counter() - t0) * 1000
        if failures:
            res['notes'] = {'connectFailuresBeforeSuccess': failures}
        c = self.client
        if 'read' in tests:
            res['read'] = await self.step(
                'read', self.timed(lambda i: c.read_gatt_char(self.u['read'])))
        if 'write' in tests:
            res['write'] = await self.step('write', self.timed(
                lambda i: c.write_gatt_char(self.u['write'], payload(i), response=True)))
        if 'wwr' in tests:
            res['wwr'] = await self.step('wwr', self.wwr())
        if 'notify' in tests:
            res['notify'] = await self.step('notify', self.notify())
        if 'flood' in tests:
            res['flood'] = await self.step('flood', self.flood())
        await self.step('disconnect', asyncio.wait_for(c.disconnect(), 15))
        if 'advRate' in tests:
            res['advRate'] = await self.step('advRate', self.adv_rate())
        res['peakRssMiB'] = peak_rss_mib()
        return {k: v for k, v in res.items() if v is not None}


def version():
    try:
        from importlib.metadata import version as v
        return v('bleak')
    except Exception:
        return ''


def main():
    cfg = json.loads(sys.argv[1])
    try:
        res = asyncio.run(Bench(cfg).run())
    except Exception as e:
        res = {'library': 'bleak', 'version': version(), 'peakRssMiB': peak_rss_mib(),
               'errors': ['setup: %r' % e]}
    sys.stdout.write(RESULT_MARK + json.dumps(res) + '\n')
    sys.stdout.flush()
    # bleak may leave D-Bus tasks behind; the result is out, so leave now.
    import os
    os._exit(0)


if __name__ == '__main__':
    main()
