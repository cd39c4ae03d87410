// Included services on the D-Bus backend (GattService1.Includes).
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { includedServicesSuite } from './includes.js';

includedServicesSuite('dbus', () => new DbusBackend(), false);
