// A lab test file's setup for the D-Bus central against one peer: a fresh peer on hci1 and a
// Central on hci0 before the file's tests, everything stopped and forgotten after them.
import { after, before } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central, type Device } from '../../../src/central/index.js';
import { assertInLab } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';
import type { ConformancePeer } from './peer.js';

export interface DbusSession {
  readonly central: Central;
  /** The device the tests connected; disconnected after the file. */
  device: Device | undefined;
}

export function dbusSession(peer: ConformancePeer): DbusSession {
  let central: Central | undefined;
  const s = {
    get central(): Central {
      if (!central) throw new Error('the session has not started');
      return central;
    },
    device: undefined as Device | undefined,
  };
  before(async () => {
    assertInLab();
    await forgetPeers();
    await peer.start();
    central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
    await central.start();
  });
  after(async () => {
    await s.device?.disconnect().catch(() => undefined);
    await central?.stop().catch(() => undefined);
    await peer.stop().catch(() => undefined);
    await forgetPeers();
  });
  return s;
}
