#!/usr/bin/python3
"""An independent D-Bus peer for blekit's client tests, written with dbus-python.

As a service it exports /org/blekit/Test (org.blekit.Test): replies, errors, signals and
unix fds come from libdbus, not from blekit. As a caller it probes objects that blekit
exports (Probe*) and records the signals they emit, answering with JSON so the test can
compare what an independent client saw.

Usage: dbus_peer.py ADDRESS. Prints "ready NAME" once its name is on the bus.
"""
import json
import os
import socket
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = 'org.blekit.Test'
PATH = '/org/blekit/Test'


def plain(v):
    """A dbus-python value as JSON-friendly data (bytes as a list of ints)."""
    if isinstance(v, dbus.Dictionary):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (dbus.Array, dbus.Struct, list, tuple)):
        if isinstance(v, dbus.Array) and v.signature == 'y':
            return [int(b) for b in v]
        return [plain(x) for x in v]
    if isinstance(v, dbus.ByteArray):
        return list(bytes(v))
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32,
                      dbus.Int64, dbus.UInt64)):
        return int(v)
    if isinstance(v, dbus.Double):
        return float(v)
    if isinstance(v, dbus.types.UnixFd):
        fd = v.take()
        return {'fd': fd}
    if isinstance(v, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(v)
    return v


class TestService(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, PATH)
        self.sockets = []
        self.never = []

    @dbus.service.method(IFACE, in_signature='aya{sv}o', out_signature='aya{sv}o',
                         byte_arrays=True)
    def Echo(self, data, opts, path):
        return (dbus.ByteArray(data), opts, path)

    @dbus.service.method(IFACE, in_signature='u', out_signature='u')
    def EchoNumber(self, n):
        return n

    @dbus.service.method(IFACE, in_signature='', out_signature='')
    def Fail(self):
        raise dbus.exceptions.DBusException('refused on purpose', name='org.blekit.Error.Nope')

    @dbus.service.method(IFACE, in_signature='', out_signature='hq')
    def Socket(self):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sockets.append(mine)

        def echo(_fd, _cond):
            data = mine.recv(4096)
            if not data:
                return False
            mine.send(b'echo:' + data)
            return True

        GLib.io_add_watch(mine.fileno(), GLib.IO_IN | GLib.IO_HUP, echo)
        fd = dbus.types.UnixFd(theirs)
        theirs.close()
        return (fd, dbus.UInt16(23))

    @dbus.service.method(IFACE, in_signature='sa{sv}', out_signature='')
    def Shout(self, word, opts):
        self.Shouted(word, opts)

    @dbus.service.signal(IFACE, signature='sa{sv}')
    def Shouted(self, word, opts):
        pass

    @dbus.service.method(IFACE, in_signature='', out_signature='',
                         async_callbacks=('ok', 'err'))
    def Never(self, ok, err):
        self.never.append((ok, err))


class Prober(dbus.service.Object):
    """Calls into objects another connection exports, as BlueZ calls an application."""

    def __init__(self, bus):
        super().__init__(bus, '/org/blekit/Prober')
        self.bus = bus
        self.signals = []
        bus.add_signal_receiver(self.on_signal, sender_keyword='sender', path_keyword='path',
                                interface_keyword='iface', member_keyword='member',
                                byte_arrays=True)

    def on_signal(self, *args, sender=None, path=None, iface=None, member=None):
        if iface in ('org.freedesktop.DBus.Properties', 'org.freedesktop.DBus.ObjectManager'):
            self.signals.append({'path': str(path), 'member': str(member),
                                 'args': plain(list(args))})

    def proxy(self, dest, path):
        return self.bus.get_object(dest, path, introspect=False)

    @dbus.service.method(IFACE, in_signature='sosssav', out_signature='s')
    def ProbeCall(self, dest, path, iface, member, sig, args):
        """One call: member(*args) with signature sig. JSON {ok} or {error, text}."""
        obj = self.proxy(dest, path)
        try:
            reply = obj.get_dbus_method(member, iface)(*args, signature=sig, byte_arrays=True)
            return json.dumps({'ok': plain(reply)})
        except dbus.exceptions.DBusException as e:
            return json.dumps({'error': e.get_dbus_name(), 'text': e.get_dbus_message()})

    @dbus.service.method(IFACE, in_signature='sossv', out_signature='s')
    def ProbeSet(self, dest, path, iface, name, value):
        props = dbus.Interface(self.proxy(dest, path), 'org.freedesktop.DBus.Properties')
        try:
            props.Set(iface, name, value)
            return json.dumps({'ok': None})
        except dbus.exceptions.DBusException as e:
            return json.dumps({'error': e.get_dbus_name(), 'text': e.get_dbus_message()})

    @dbus.service.method(IFACE, in_signature='so', out_signature='s')
    def ProbeFd(self, dest, path):
        """Calls Acquire() on dest: a socket comes back; writes 'ping', reads the answer."""
        obj = self.proxy(dest, path)
        fd, mtu = obj.get_dbus_method('Acquire', IFACE)()
        sock = socket.socket(fileno=fd.take())
        sock.settimeout(5)
        sock.send(b'ping')
        answer = sock.recv(100)
        sock.close()
        return json.dumps({'mtu': int(mtu), 'answer': answer.decode()})

    @dbus.service.method(IFACE, in_signature='', out_signature='s')
    def Signals(self):
        out = json.dumps(self.signals)
        self.signals = []
        return out


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(sys.argv[1])
    keep = [TestService(bus), Prober(bus)]
    print('ready', bus.get_unique_name(), flush=True)
    loop = GLib.MainLoop()
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_HUP | GLib.IO_IN, lambda *_: loop.quit())
    loop.run()
    del keep
    os._exit(0)


main()
