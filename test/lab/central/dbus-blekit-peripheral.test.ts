// The central conformance suite: BlueZ D-Bus backend against blekit's own peripheral on hci1.
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { centralConformance } from './conformance.js';
import { blekitPeripheralPeer } from './peers/blekit-peripheral.js';

centralConformance(
  'dbus',
  () => new DbusBackend(),
  () => blekitPeripheralPeer(),
);
