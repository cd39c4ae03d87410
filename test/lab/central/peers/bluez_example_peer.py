#!/usr/bin/python3
# The independent conformance peer: BlueZ's own example-gatt-server and example-advertisement
# (Debian bluez-test-scripts), loaded as modules and served on a chosen adapter, plus the small
# conformance service the central suite needs (see test/lab/central/peer.ts for its contract).
# Commands on stdin, one per line: "adv on", "adv off", "quit"; each answers "ok <cmd>" or
# "err <cmd> <reason>" on stdout. "ready" is printed once the GATT application is registered.
# Usage: bluez_example_peer.py hciN [--extras] [--includes] [--sink] [--encrypted]
import importlib.machinery
import importlib.util
import struct
import sys
import zlib

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

EXAMPLES = '/usr/share/doc/bluez-test-scripts/examples/'


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


gs = load('example_gatt_server', EXAMPLES + 'example-gatt-server')
ad = load('example_advertisement', EXAMPLES + 'example-advertisement')


def uuid(n):
    return '0000%04x-b1e0-4000-8000-626c656b6974' % n


READ_VALUE = b'blekit-conformance'


def say(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


class ReadChrc(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xc001), ['read'], service)

    def ReadValue(self, options):
        off = int(options.get('offset', 0))
        return dbus.Array(READ_VALUE[off:], signature='y')


class EchoChrc(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(
            self, bus, index, uuid(0xc002), ['read', 'write', 'write-without-response'], service)
        self.value = b''

    def ReadValue(self, options):
        off = int(options.get('offset', 0))
        return dbus.Array(self.value[off:], signature='y')

    def WriteValue(self, value, options):
        off = int(options.get('offset', 0))
        self.value = self.value[:off] + bytes(value)


class SeqChrc(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xc003), ['notify'], service)
        self.seq = 0
        self.notifying = False

    def StartNotify(self):
        self.notifying = True
        say('subscribed via StartNotify')

    def StopNotify(self):
        self.notifying = False
        say('unsubscribed')

    def send(self, count):
        if not self.notifying:
            say('credits for %d values dropped: nobody subscribed' % count)
            return
        for _ in range(count):
            value = dbus.Array(struct.pack('<I', self.seq), signature='y')
            self.PropertiesChanged(gs.GATT_CHRC_IFACE, {'Value': value}, [])
            self.seq += 1


class CreditChrc(gs.Characteristic):
    """Each write of a little-endian u16 N makes the sequence characteristic send N values."""

    def __init__(self, bus, index, service, seq):
        gs.Characteristic.__init__(
            self, bus, index, uuid(0xc004), ['write', 'write-without-response'], service)
        self.seq = seq

    def WriteValue(self, value, options):
        data = bytes(value)
        if len(data) == 4 and data == b'\xff\xff\xff\xff':
            self.seq.seq = 0
            return
        if len(data) != 2:
            raise gs.InvalidValueLengthException()
        self.seq.send(struct.unpack('<H', data)[0])


class ConformanceService(gs.Service):
    def __init__(self, bus, index):
        gs.Service.__init__(self, bus, index, uuid(0xc000), True)
        self.add_characteristic(ReadChrc(bus, 0, self))
        self.add_characteristic(EchoChrc(bus, 1, self))
        seq = SeqChrc(bus, 2, self)
        self.add_characteristic(seq)
        self.add_characteristic(CreditChrc(bus, 3, self, seq))


SECONDARY_VALUE = b'in a secondary service'


class ConstChrc(gs.Characteristic):
    def __init__(self, bus, index, service, n, value):
        gs.Characteristic.__init__(self, bus, index, uuid(n), ['read'], service)
        self.value = value

    def ReadValue(self, options):
        return dbus.Array(self.value, signature='y')


class AttErrorChrc(gs.Characteristic):
    """Every read fails with ATT error `code` (bluetoothd takes the code from the message)."""

    def __init__(self, bus, index, service, n, code):
        gs.Characteristic.__init__(self, bus, index, uuid(n), ['read'], service)
        self.code = code

    def ReadValue(self, options):
        raise dbus.exceptions.DBusException('0x%02x' % self.code, name='org.bluez.Error.Failed')


def add_extras(bus, app):
    """--extras: a secondary service (0xc010, read 0xc011) and reads failing with ATT 0x81 and
    0x9f (0xc021, 0xc022 in primary 0xc020), which gatttool prints in words and not at all."""
    secondary = gs.Service(bus, 10, uuid(0xc010), False)
    secondary.add_characteristic(ConstChrc(bus, 0, secondary, 0xc011, SECONDARY_VALUE))
    errors = gs.Service(bus, 11, uuid(0xc020), True)
    errors.add_characteristic(AttErrorChrc(bus, 0, errors, 0xc021, 0x81))
    errors.add_characteristic(AttErrorChrc(bus, 1, errors, 0xc022, 0x9f))
    app.add_service(secondary)
    app.add_service(errors)


class IncludingService(gs.Service):
    """A primary service whose GattService1 names others in Includes (example-gatt-server's
    Service has no Includes property)."""

    def __init__(self, bus, index, n, included):
        gs.Service.__init__(self, bus, index, uuid(n), True)
        self.included = included

    def get_properties(self):
        props = gs.Service.get_properties(self)
        props[gs.GATT_SERVICE_IFACE]['Includes'] = dbus.Array(
            [s.get_path() for s in self.included], signature='o')
        return props


INCLUDED_VALUE = b'in an included service'


def add_includes(bus, app):
    """--includes: primary 0xc030 (read 0xc031) includes secondary 0xc040 (read 0xc041) and
    primary 0xc050. BlueZ 5.66 resolves an include only against a service it has already
    registered, so the included ones are added to the application first."""
    secondary = gs.Service(bus, 20, uuid(0xc040), False)
    secondary.add_characteristic(ConstChrc(bus, 0, secondary, 0xc041, INCLUDED_VALUE))
    other = gs.Service(bus, 21, uuid(0xc050), True)
    other.add_characteristic(ConstChrc(bus, 0, other, 0xc051, b'a primary one'))
    including = IncludingService(bus, 22, 0xc030, [secondary, other])
    including.add_characteristic(ConstChrc(bus, 0, including, 0xc031, b'the including one'))
    for s in (secondary, other, including):
        app.add_service(s)


class SinkChrc(gs.Characteristic):
    """Write-without-response only: every value is folded, in arrival order, into the record."""

    def __init__(self, bus, index, service, record):
        gs.Characteristic.__init__(
            self, bus, index, uuid(0xc061), ['write-without-response'], service)
        self.record = record

    def WriteValue(self, value, options):
        self.record.add(bytes(value))


class SinkRecordChrc(gs.Characteristic):
    """Read: u32 LE count, u32 LE total bytes, u32 LE CRC-32 of the bytes in arrival order, then
    the last value. Any write starts a new record."""

    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xc062), ['read', 'write'], service)
        self.reset()

    def reset(self):
        self.count, self.total, self.crc, self.last = 0, 0, 0, b''

    def add(self, data):
        self.count += 1
        self.total += len(data)
        self.crc = zlib.crc32(data, self.crc)
        self.last = data

    def ReadValue(self, options):
        head = struct.pack('<III', self.count, self.total, self.crc & 0xffffffff)
        return dbus.Array(head + self.last, signature='y')

    def WriteValue(self, value, options):
        self.reset()


def add_sink(bus, app):
    """--sink: service 0xc060 with a write-without-response sink (0xc061) whose arrival order
    can be checked through its record (0xc062)."""
    service = gs.Service(bus, 12, uuid(0xc060), True)
    record = SinkRecordChrc(bus, 1, service)
    service.add_characteristic(SinkChrc(bus, 0, service, record))
    service.add_characteristic(record)
    app.add_service(service)


ENCRYPTED_VALUE = b'only-over-an-encrypted-link'


class EncryptedChrc(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xc071), ['encrypt-read'], service)

    def ReadValue(self, options):
        off = int(options.get('offset', 0))
        return dbus.Array(ENCRYPTED_VALUE[off:], signature='y')


class AcceptingAgent(dbus.service.Object):
    """A NoInputNoOutput agent that accepts every Just Works pairing: bluetoothd refuses to
    pair without one, and in the lab one bluetoothd serves both sides of the link."""
    PATH = '/org/blekit/peer_agent'

    @dbus.service.method('org.bluez.Agent1', in_signature='o', out_signature='')
    def RequestAuthorization(self, device):
        say('agent authorize ' + str(device))

    @dbus.service.method('org.bluez.Agent1', in_signature='ou', out_signature='')
    def RequestConfirmation(self, device, passkey):
        say('agent confirm ' + str(device))

    @dbus.service.method('org.bluez.Agent1', in_signature='os', out_signature='')
    def AuthorizeService(self, device, uuid_):
        pass

    @dbus.service.method('org.bluez.Agent1', in_signature='', out_signature='')
    def Cancel(self):
        pass

    @dbus.service.method('org.bluez.Agent1', in_signature='', out_signature='')
    def Release(self):
        pass


def add_encrypted(bus, app):
    """--encrypted: a service (0xc070) whose characteristic 0xc071 reads only over an
    encrypted link, and an agent registered as the default so that pairing can complete."""
    service = gs.Service(bus, 30, uuid(0xc070), True)
    service.add_characteristic(EncryptedChrc(bus, 0, service))
    app.add_service(service)
    agent = AcceptingAgent(bus, AcceptingAgent.PATH)
    manager = dbus.Interface(bus.get_object('org.bluez', '/org/bluez'), 'org.bluez.AgentManager1')
    manager.RegisterAgent(AcceptingAgent.PATH, 'NoInputNoOutput')
    manager.RequestDefaultAgent(AcceptingAgent.PATH)
    app.agent = agent


def serve(hci, app):
    """Registers `app` (a gs.Application) on adapter `hci` and runs the stdin command loop
    described at the top of this file until "quit" or stdin closes."""
    adapter = '/org/bluez/' + hci
    bus = app.bus
    advert = ad.TestAdvertisement(bus, 0)
    obj = bus.get_object('org.bluez', adapter)
    gatt_manager = dbus.Interface(obj, 'org.bluez.GattManager1')
    ad_manager = dbus.Interface(obj, 'org.bluez.LEAdvertisingManager1')
    loop = GLib.MainLoop()

    def reply(cmd):
        return (lambda *a: say('ok ' + cmd), lambda e: say('err %s %s' % (cmd, e)))

    def on_line(source, _cond):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        cmd = line.strip()
        if cmd == 'adv on':
            ok, err = reply(cmd)
            ad_manager.RegisterAdvertisement(advert.get_path(), {}, reply_handler=ok,
                                             error_handler=err)
        elif cmd == 'adv off':
            ok, err = reply(cmd)
            ad_manager.UnregisterAdvertisement(advert.get_path(), reply_handler=ok,
                                               error_handler=err)
        elif cmd == 'quit':
            loop.quit()
            return False
        else:
            say('err %s unknown command' % cmd)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_line)
    gatt_manager.RegisterApplication(app.get_path(), {}, reply_handler=lambda: say('ready'),
                                     error_handler=lambda e: (say('err register %s' % e),
                                                              loop.quit()))
    loop.run()


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    app = gs.Application(bus)
    app.bus = bus
    app.add_service(ConformanceService(bus, 3))
    if '--extras' in sys.argv[2:]:
        add_extras(bus, app)
    if '--includes' in sys.argv[2:]:
        add_includes(bus, app)
    if '--sink' in sys.argv[2:]:
        add_sink(bus, app)
    if '--encrypted' in sys.argv[2:]:
        add_encrypted(bus, app)
    serve(sys.argv[1], app)


if __name__ == '__main__':
    main()
