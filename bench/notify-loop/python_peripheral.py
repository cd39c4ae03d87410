#!/usr/bin/python3
# The reference side of the notify-loop bench: a GATT application written with dbus-python the
# way BlueZ's own examples are, on an adapter (default hci1). Each StartNotify runs one loop
# that emits PropertiesChanged on Value per value, with no wait between values, then prints
# "done <characteristic uuid> <loop ms> signal". Exits when stdin closes.
#   /usr/bin/python3 bench/notify-loop/python_peripheral.py hci1 300 SERVICE NOTIFY INDICATE
import sys
import time

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

OM = 'org.freedesktop.DBus.ObjectManager'
PROPS = 'org.freedesktop.DBus.Properties'
SERVICE_IFACE = 'org.bluez.GattService1'
CHRC_IFACE = 'org.bluez.GattCharacteristic1'

hci, count, service_uuid, notify_uuid, indicate_uuid = sys.argv[1:6]
count = int(count)


def say(line):
    print(line, flush=True)


class Characteristic(dbus.service.Object):
    def __init__(self, bus, path, uuid, flag, service_path):
        self.path = path
        self.uuid = uuid
        self.flag = flag
        self.service_path = service_path
        self.value = [dbus.Byte(0)] * 4
        self.notifying = False
        dbus.service.Object.__init__(self, bus, path)

    def properties(self):
        return {
            CHRC_IFACE: {
                'Service': dbus.ObjectPath(self.service_path),
                'UUID': self.uuid,
                'Flags': dbus.Array([self.flag], signature='s'),
            }
        }

    @dbus.service.method(PROPS, in_signature='s', out_signature='a{sv}')
    def GetAll(self, interface):
        return self.properties()[CHRC_IFACE]

    @dbus.service.method(CHRC_IFACE, in_signature='a{sv}', out_signature='ay')
    def ReadValue(self, options):
        return self.value

    @dbus.service.method(CHRC_IFACE)
    def StartNotify(self):
        if not self.notifying:
            self.notifying = True
            GLib.idle_add(self.loop)

    @dbus.service.method(CHRC_IFACE)
    def StopNotify(self):
        self.notifying = False

    @dbus.service.method(CHRC_IFACE)
    def Confirm(self):
        pass

    @dbus.service.signal(PROPS, signature='sa{sv}as')
    def PropertiesChanged(self, interface, changed, invalidated):
        pass

    def loop(self):
        t0 = time.monotonic()
        for i in range(count):
            self.value = dbus.Array(i.to_bytes(4, 'little'), signature='y')
            self.PropertiesChanged(CHRC_IFACE, {'Value': self.value}, [])
        self.connection.flush()
        ms = round((time.monotonic() - t0) * 1000)
        say(f'done {self.uuid} {ms} signal')
        return False


class Application(dbus.service.Object):
    def __init__(self, bus):
        self.path = '/bench/notifyloop'
        service_path = self.path + '/service0'
        self.service_path = service_path
        self.chars = [
            Characteristic(bus, service_path + '/char0', notify_uuid, 'notify', service_path),
            Characteristic(bus, service_path + '/char1', indicate_uuid, 'indicate', service_path),
        ]
        dbus.service.Object.__init__(self, bus, self.path)

    @dbus.service.method(OM, out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        objects = {
            dbus.ObjectPath(self.service_path): {
                SERVICE_IFACE: {
                    'UUID': service_uuid,
                    'Primary': True,
                    'Characteristics': dbus.Array(
                        [dbus.ObjectPath(c.path) for c in self.chars], signature='o'
                    ),
                }
            }
        }
        for c in self.chars:
            objects[dbus.ObjectPath(c.path)] = c.properties()
        return objects


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    app = Application(bus)
    loop = GLib.MainLoop()
    manager = dbus.Interface(bus.get_object('org.bluez', '/org/bluez/' + hci),
                             'org.bluez.GattManager1')
    manager.RegisterApplication(
        dbus.ObjectPath(app.path), {},
        reply_handler=lambda: say('ready'),
        error_handler=lambda e: (say(f'err register {e}'), loop.quit()))
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP,
                      lambda fd, cond: (loop.quit(), False)[1])
    loop.run()


main()
