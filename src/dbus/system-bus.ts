import dbus from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { installDictKeyFix } from './dict-keys.js';
import { useFastCodec } from './fast-codec.js';
import { fixFdDistribution, type FdStream } from './fd-stream.js';

installDictKeyFix();

/**
 * The system bus with unix fd passing, for BlueZ's AcquireNotify/AcquireWrite (both roles).
 * Fd passing needs dbus-next's native usocket transport; without it the bus still works and
 * the Acquire* paths fall back to plain D-Bus calls.
 *
 * Messages are encoded and decoded by blekit's codec (fast-codec.ts);
 * BLEKIT_DBUS_CODEC=dbus-next keeps dbus-next's own, for comparison or as a way out.
 */
export function openSystemBus(): MessageBus {
  return prepareBus(dbus.systemBus({ negotiateUnixFd: true }));
}

/** What openSystemBus does to a bus it has just created; for other buses (tests). */
export function prepareBus(bus: MessageBus): MessageBus {
  const stream = (bus as unknown as { _connection?: { stream?: FdStream } })._connection?.stream;
  if (stream && typeof stream.read === 'function' && '_wrap' in stream) fixFdDistribution(stream);
  if (process.env.BLEKIT_DBUS_CODEC !== 'dbus-next') useFastCodec(bus);
  return bus;
}
