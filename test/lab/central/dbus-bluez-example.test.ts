// The central conformance suite: BlueZ D-Bus backend against BlueZ's example-gatt-server on hci1.
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { centralConformance } from './conformance.js';
import { bluezExamplePeer } from './peers/bluez-example.js';

centralConformance(
  'dbus',
  () => new DbusBackend(),
  () => bluezExamplePeer(),
);
