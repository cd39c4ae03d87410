import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeripheralBus } from '../../../src/bluez/calls.js';
import { AgentRegistry, registerAgentOnSystemBus } from '../../../src/bluez/agent-registry.js';
import { Agent } from '../../../src/bluez/agent.js';
import { BusyError } from '../../../src/core/index.js';
import { DbusError } from '../../../src/dbus/client/errors.js';
import { ObjectTree } from '../../../src/dbus/client/object-tree.js';
import { FakeBluez, FakeBus } from '../peripheral/fake-bus.js';

const AGENT = 'org.bluez.Agent1';

function setup(): { bus: FakeBus; registry: AgentRegistry; members: () => string[] } {
  const bus = new FakeBus();
  const tree = new ObjectTree(bus);
  tree.attach();
  const registry = new AgentRegistry(bus, tree, '/t');
  const members = (): string[] => bus.calls.map((c) => `${c.member} ${c.body.join(' ')}`);
  return { bus, registry, members };
}

test('register exports the agent, registers it and makes it the default when asked', async () => {
  const { bus, registry, members } = setup();
  const agent = new Agent({ capability: 'DisplayYesNo' });
  await registry.register(agent, { asDefault: true });
  assert.equal(agent.path, '/t/agent0');
  assert.deepEqual(members(), [
    'RegisterAgent /t/agent0 DisplayYesNo',
    'RequestDefaultAgent /t/agent0',
  ]);
  // Exported: bluetoothd's questions reach it (and it refuses, having no callbacks).
  const r = await bus.invoke('/t/agent0', AGENT, 'RequestAuthorization', 'o', ['/org/bluez/x']);
  assert.equal(r.errorName, 'org.bluez.Error.Rejected');
  await assert.rejects(registry.register(agent), BusyError);

  await registry.registerAgain();
  assert.deepEqual(members().slice(2), [
    'RegisterAgent /t/agent0 DisplayYesNo',
    'RequestDefaultAgent /t/agent0',
  ]);
  await registry.unregisterAll();
  assert.equal(agent.path, undefined);
  assert.deepEqual(registry.registered, []);
  assert.equal(members().at(-1), 'UnregisterAgent /t/agent0');
  await assert.rejects(bus.invoke('/t/agent0', AGENT, 'Release'), /nobody handled/);
});

test('a refused registration leaves nothing exported or held; a released agent is not unregistered', async () => {
  const { bus, registry, members } = setup();
  bus.answer = (m) => {
    if (m.member === 'RegisterAgent') throw new DbusError('org.bluez.Error.AlreadyExists', 'x');
    return [];
  };
  const agent = new Agent();
  await assert.rejects(registry.register(agent));
  assert.equal(agent.path, undefined);
  assert.deepEqual(registry.registered, []);
  await assert.rejects(bus.invoke('/t/agent0', AGENT, 'Release'), /nobody handled/);

  bus.answer = () => [];
  bus.calls.length = 0;
  await registry.register(agent);
  assert.deepEqual(members(), ['RegisterAgent /t/agent1 NoInputNoOutput']);
  await bus.invoke('/t/agent1', AGENT, 'Release');
  await registry.unregister(agent);
  assert.deepEqual(members(), ['RegisterAgent /t/agent1 NoInputNoOutput']);
});

test("a central's own agent connection registers the agent again when bluetoothd returns", async () => {
  const bus = new FakeBluez();
  const reg = await registerAgentOnSystemBus(new Agent(), {
    bus: bus as unknown as PeripheralBus,
  });
  const members = () => bus.calls.map((c) => c.member).filter((m) => m !== 'AddMatch');
  assert.deepEqual(members(), ['RegisterAgent', 'RequestDefaultAgent']);
  bus.owner(':1.5', '');
  bus.owner('', ':1.9');
  for (let i = 0; i < 100 && members().length < 4; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(members(), [
    'RegisterAgent',
    'RequestDefaultAgent',
    'RegisterAgent',
    'RequestDefaultAgent',
  ]);
  await reg.unregister();
  assert.equal(members().at(-1), 'UnregisterAgent');
  assert.equal(bus.matches.size, 0, 'the owner watch is gone with the agent');
});
