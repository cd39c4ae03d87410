import dbus from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { installDictKeyFix } from './dict-keys.js';
import { fixFdDistribution, type FdStream } from './fd-stream.js';

installDictKeyFix();

/**
 * The system bus with unix fd passing, for BlueZ's AcquireNotify/AcquireWrite (both roles).
 * Fd passing needs dbus-next's native usocket transport; without it the bus still works and
 * the Acquire* paths fall back to plain D-Bus calls.
 */
export function openSystemBus(): MessageBus {
  const bus = dbus.systemBus({ negotiateUnixFd: true });
  const stream = (bus as unknown as { _connection?: { stream?: FdStream } })._connection?.stream;
  if (stream && typeof stream.read === 'function' && '_wrap' in stream) fixFdDistribution(stream);
  return bus;
}
