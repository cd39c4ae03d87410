// What the blekit peer advertises: flags, name, one 16-bit UUID and its service data fit the 31
// legacy bytes (the 128-bit conformance service UUID would not; discovery finds that one).
// No manufacturer data: with it, bluetoothd registered an empty, non-connectable
// advertisement for our peripheral in the lab, back when it ran on dbus-next (which could not
// send the a{qv} dict).
export const BLEKIT_AD = {
  localName: 'blekit-cf',
  serviceUuids: ['0000fff0-0000-1000-8000-00805f9b34fb'],
  serviceData: {
    '0000fff0-0000-1000-8000-00805f9b34fb': Buffer.from([0x62, 0x6c, 0x65, 0x6b]),
  } as Record<string, Buffer>,
};
