#!/usr/bin/python3
# An independent dbus-python peripheral for the fault suite, built on BlueZ's own
# example-gatt-server classes (Debian bluez-test-scripts). Its characteristics, in service 0xf000
# (UUIDs 0000XXXX-b1e0-4000-8000-626c656b6974):
#   f001 read that never answers (the read stays pending until the process dies)
#   f002 write that never answers
#   f003 notify: u32 LE sequence numbers, sent when credited through f005
#   f004 notify: a second sequence, credited together with f003 (two subscriptions to restore)
#   f005 write: u16 LE N sends N values on each notifying sequence; 'flood' floods f003 with
#        no flow control until StopNotify; ff ff ff ff restarts the counts at 0
#   f006 read/write echo (operations in flight on one link)
# With --no-notify, f003 and f004 are left out: the peer comes back without what was subscribed.
# stdin, one command a line: "adv on", "adv off", "quit"; answers "ok <cmd>" / "err <cmd> ...";
# prints "ready" once registered, "pending read"/"pending write" when a call is held, and
# "flood stopped N" with the number sent once a flood ends.
# Usage: fault_peer.py hciN [--no-notify]
import os
import struct
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

# BlueZ's example classes and the command loop, shared with the central suite's peer.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '../central/peers'))
from bluez_example_peer import gs, serve, say, uuid  # noqa: E402


class HangRead(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xf001), ['read'], service)
        self.held = []

    @dbus.service.method(gs.GATT_CHRC_IFACE, in_signature='a{sv}', out_signature='ay',
                         async_callbacks=('ok', 'err'))
    def ReadValue(self, options, ok, err):
        self.held.append((ok, err))
        say('pending read')


class HangWrite(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xf002), ['write'], service)
        self.held = []

    @dbus.service.method(gs.GATT_CHRC_IFACE, in_signature='aya{sv}',
                         async_callbacks=('ok', 'err'))
    def WriteValue(self, value, options, ok, err):
        self.held.append((ok, err))
        say('pending write')


class Seq(gs.Characteristic):
    def __init__(self, bus, index, service, n):
        gs.Characteristic.__init__(self, bus, index, uuid(n), ['notify'], service)
        self.n = n
        self.seq = 0
        self.notifying = False
        self.flooding = False

    def StartNotify(self):
        self.notifying = True
        say('subscribed %04x' % self.n)

    def StopNotify(self):
        self.notifying = False
        say('unsubscribed %04x' % self.n)

    def send(self, count):
        if not self.notifying:
            return
        for _ in range(count):
            value = dbus.Array(struct.pack('<I', self.seq), signature='y')
            self.PropertiesChanged(gs.GATT_CHRC_IFACE, {'Value': value}, [])
            self.seq += 1

    def flood(self):
        """As fast as the main loop turns, 64 values a turn, until nobody listens."""
        if self.flooding:
            return
        self.flooding = True
        start = self.seq

        def burst():
            if not self.notifying:
                self.flooding = False
                say('flood stopped %d' % (self.seq - start))
                return False
            self.send(64)
            return True

        GLib.idle_add(burst)


class Control(gs.Characteristic):
    def __init__(self, bus, index, service, seqs):
        gs.Characteristic.__init__(self, bus, index, uuid(0xf005), ['write'], service)
        self.seqs = seqs

    def WriteValue(self, value, options):
        data = bytes(value)
        if data == b'flood' and self.seqs:
            self.seqs[0].flood()
        elif data == b'\xff\xff\xff\xff':
            for s in self.seqs:
                s.seq = 0
        elif len(data) == 2:
            for s in self.seqs:
                s.send(struct.unpack('<H', data)[0])
        else:
            raise gs.InvalidValueLengthException()


class Echo(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, uuid(0xf006), ['read', 'write'], service)
        self.value = b''

    def ReadValue(self, options):
        return dbus.Array(self.value, signature='y')

    def WriteValue(self, value, options):
        self.value = bytes(value)


class FaultService(gs.Service):
    def __init__(self, bus, index, notify):
        gs.Service.__init__(self, bus, index, uuid(0xf000), True)
        self.add_characteristic(HangRead(bus, 0, self))
        self.add_characteristic(HangWrite(bus, 1, self))
        seqs = [Seq(bus, 2, self, 0xf003), Seq(bus, 3, self, 0xf004)] if notify else []
        for s in seqs:
            self.add_characteristic(s)
        self.add_characteristic(Control(bus, 4, self, seqs))
        self.add_characteristic(Echo(bus, 5, self))


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    app = gs.Application(bus)
    app.bus = bus
    app.services = []
    app.add_service(FaultService(bus, 7, '--no-notify' not in sys.argv[2:]))
    serve(sys.argv[1], app)


if __name__ == '__main__':
    main()
