#!/usr/bin/python3
"""Watches bluetoothd's Device1 signals for one device with dbus-python (independent of blekit)
and prints the 16-bit counter in one company's manufacturer data, one "v N" line per signal.

Usage: adv_watch.py DEVICE_PATH COMPANY. Prints "ready" once its match rules are in place;
exits when stdin closes.
"""
import sys

import dbus
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

DEVICE = sys.argv[1]
COMPANY = int(sys.argv[2])


def take(props):
    md = props.get('ManufacturerData') if props else None
    if md is None:
        return
    data = md.get(dbus.UInt16(COMPANY))
    if data is not None and len(data) == 2:
        print('v', int(data[0]) | (int(data[1]) << 8), flush=True)


def changed(iface, props, _invalidated):
    if iface == 'org.bluez.Device1':
        take(props)


def added(path, ifaces):
    if path == DEVICE:
        take(ifaces.get('org.bluez.Device1'))


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    bus.add_signal_receiver(changed, dbus_interface='org.freedesktop.DBus.Properties',
                            signal_name='PropertiesChanged', bus_name='org.bluez', path=DEVICE)
    bus.add_signal_receiver(added, dbus_interface='org.freedesktop.DBus.ObjectManager',
                            signal_name='InterfacesAdded', bus_name='org.bluez')
    # A round trip to the daemon: the match rules are in place once it answers.
    bus.get_unique_name()
    bus.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                      'GetId', '', ())
    print('ready', flush=True)
    loop = GLib.MainLoop()
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_HUP | GLib.IO_IN, lambda *_: loop.quit())
    loop.run()


main()
