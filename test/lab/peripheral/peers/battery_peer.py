#!/usr/bin/python3
# The independent peripheral for the bleak connect-cycle comparison: dbus-python with BlueZ's
# own example classes (Debian bluez-test-scripts), serving the same one-service database as the
# blekit side: Battery 180f with 2a19 read/notify, value 87, advertised as "py-battery".
# Prints "ready" once the application and the advertisement are registered; stdin EOF or
# "quit" ends it (unregistering both).
# Usage: battery_peer.py hciN
import os
import sys

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

# BlueZ's example modules, loaded the way the central suite's peer loads them.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '../../central/peers'))
from bluez_example_peer import ad, gs, say  # noqa: E402


class Level(gs.Characteristic):
    def __init__(self, bus, index, service):
        gs.Characteristic.__init__(self, bus, index, '2a19', ['read', 'notify'], service)

    def ReadValue(self, options):
        return dbus.Array([dbus.Byte(87)], signature='y')

    def StartNotify(self):
        pass

    def StopNotify(self):
        pass


class App(gs.Application):
    # The example's Application adds its three demo services in __init__; serve only ours.
    def __init__(self, bus):
        self.path = '/'
        self.services = []
        dbus.service.Object.__init__(self, bus, self.path)
        battery = gs.Service(bus, 0, '180f', True)
        battery.add_characteristic(Level(bus, 0, battery))
        self.add_service(battery)


class Adv(ad.Advertisement):
    def __init__(self, bus):
        ad.Advertisement.__init__(self, bus, 0, 'peripheral')
        self.add_service_uuid('180f')
        self.local_name = 'py-battery'


def main():
    adapter = '/org/bluez/' + sys.argv[1]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    app = App(bus)
    adv = Adv(bus)
    obj = bus.get_object('org.bluez', adapter)
    gatt = dbus.Interface(obj, 'org.bluez.GattManager1')
    adm = dbus.Interface(obj, 'org.bluez.LEAdvertisingManager1')
    loop = GLib.MainLoop()

    def fail(what):
        return lambda e: (say('err %s %s' % (what, e)), loop.quit())

    def advertise():
        adm.RegisterAdvertisement(adv.get_path(), {}, reply_handler=lambda: say('ready'),
                                  error_handler=fail('advertise'))

    def on_line(source, _cond):
        line = source.readline()
        if not line or line.strip() == 'quit':
            loop.quit()
            return False
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_line)
    gatt.RegisterApplication(app.get_path(), {}, reply_handler=advertise,
                             error_handler=fail('register'))
    loop.run()
    for call in (lambda: adm.UnregisterAdvertisement(adv.get_path()),
                 lambda: gatt.UnregisterApplication(app.get_path())):
        try:
            call()
        except dbus.exceptions.DBusException:
            pass


if __name__ == '__main__':
    main()
