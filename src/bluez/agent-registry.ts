// Pairing agents registered with bluetoothd's AgentManager1, for either role: the peripheral
// registers them on its own connection, a central-only program on one opened for the agent.
import { BusyError, delay, log } from '../core/index.js';
import { ObjectTree } from '../dbus/client/object-tree.js';
import type { Agent } from './agent.js';
import { callMethod, openSystemBus, type PeripheralBus } from './calls.js';
import { IFACE } from './names.js';
import { watchBluezOwner } from './owner.js';

/** Options of AgentRegistry.register(). */
export interface RegisterAgentOptions {
  /** Ask bluetoothd to use this agent for every pairing, not only those its connection starts. */
  asDefault?: boolean;
}

type RegistryBus = Pick<PeripheralBus, 'call'>;

/** The agents one D-Bus connection exports and has registered with bluetoothd. */
export class AgentRegistry {
  private readonly agents = new Map<Agent, RegisterAgentOptions>();
  private counter = 0;

  constructor(
    private readonly bus: RegistryBus,
    private readonly tree: ObjectTree,
    /** Object path the agents are exported under. */
    private readonly root: string,
  ) {}

  /** The agents registered now. */
  get registered(): Agent[] {
    return [...this.agents.keys()];
  }

  /** Exports the agent and registers it; on failure nothing stays exported or registered. */
  async register(agent: Agent, opts: RegisterAgentOptions = {}): Promise<void> {
    if (agent.path) throw new BusyError('agent is already registered');
    const path = `${this.root}/agent${this.counter++}`;
    this.tree.export(path, agent.objectSpec());
    agent.path = path;
    agent.released = false;
    this.agents.set(agent, { asDefault: opts.asDefault === true });
    try {
      await this.announce(path, agent, opts.asDefault === true);
    } catch (err) {
      await this.unregister(agent).catch(() => undefined);
      throw err;
    }
  }

  /** Unregisters an agent (if bluetoothd still holds it) and stops exporting it. */
  async unregister(agent: Agent): Promise<void> {
    const path = agent.path;
    if (!path || !this.agents.has(agent)) return;
    agent.path = undefined;
    this.agents.delete(agent);
    try {
      if (!agent.released) await this.agentManager('UnregisterAgent', 'o', [path]);
    } finally {
      this.tree.unexport(path);
    }
  }

  /** Unregisters every agent; throws an AggregateError naming what could not be removed. */
  async unregisterAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const a of this.registered) await this.unregister(a).catch((e: unknown) => errors.push(e));
    if (errors.length > 0)
      throw new AggregateError(errors, 'some agents could not be unregistered');
  }

  /**
   * Registers every held agent again, at the paths it already has: a bluetoothd that restarted
   * has forgotten them, while this process still exports them. Returns how many were; what
   * failed is pushed to `failures` and the rest are still tried.
   */
  async registerAgain(failures: unknown[] = []): Promise<number> {
    let n = 0;
    for (const [agent, opts] of this.agents) {
      if (!agent.path) continue;
      agent.released = false;
      try {
        await this.announce(agent.path, agent, opts.asDefault === true);
        n++;
      } catch (err) {
        failures.push(err);
      }
    }
    return n;
  }

  private async announce(path: string, agent: Agent, asDefault: boolean): Promise<void> {
    await this.agentManager('RegisterAgent', 'os', [path, agent.capability]);
    if (asDefault) await this.agentManager('RequestDefaultAgent', 'o', [path]);
  }

  private async agentManager(member: string, signature: string, body: unknown[]): Promise<void> {
    await callMethod(this.bus, {
      path: '/org/bluez',
      interface: IFACE.agentManager,
      member,
      signature,
      body,
    });
  }
}

/** An agent registered on a connection of its own; unregister() (or `await using`) ends both. */
export interface AgentRegistration {
  readonly agent: Agent;
  unregister(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

let connections = 0;

/**
 * Registers `agent` on a system-bus connection opened for it, for programs that run no
 * Peripheral (whose connection would otherwise carry it). Default `asDefault: true`: the
 * connection starts no pairing itself, so bluetoothd consults a non-default agent on it only
 * for pairings requested over that same connection.
 */
export async function registerAgentOnSystemBus(
  agent: Agent,
  opts: RegisterAgentOptions & {
    /** @internal A connection to use instead of opening one (tests); closed with the agent. */
    bus?: PeripheralBus;
  } = {},
): Promise<AgentRegistration> {
  const bus = opts.bus ?? (await openSystemBus());
  const tree = new ObjectTree(bus, { failedErrorName: 'org.bluez.Error.Failed' });
  tree.attach();
  const registry = new AgentRegistry(
    bus,
    tree,
    `/org/blekit/agents${process.pid}_${connections++}`,
  );
  let closed = false;
  let unwatch: (() => Promise<void>) | undefined;
  const close = async (): Promise<void> => {
    closed = true;
    await unwatch?.().catch(() => undefined);
    tree.detach();
    bus.close();
  };
  try {
    await registry.register(agent, { asDefault: opts.asDefault ?? true });
    // A restarted bluetoothd has forgotten the agent: register it again, as a Peripheral does.
    unwatch = await watchBluezOwner(bus, (running) => {
      if (running && !closed) void registerAgainSoon(registry, () => closed);
    });
  } catch (err) {
    await close();
    throw err;
  }
  let done: Promise<void> | undefined;
  const unregister = (): Promise<void> => (done ??= registry.unregisterAll().finally(close));
  return { agent, unregister, [Symbol.asyncDispose]: unregister };
}

/**
 * A bluetoothd that has just taken the name may not serve AgentManager1 yet: tries for about
 * 10 s, then says once that pairing has no agent.
 */
async function registerAgainSoon(registry: AgentRegistry, stopped: () => boolean): Promise<void> {
  let failures: unknown[] = [];
  for (let i = 0; i < 20 && !stopped(); i++) {
    failures = [];
    await registry.registerAgain(failures);
    if (failures.length === 0) return;
    await delay(500);
  }
  if (stopped()) return;
  const why = failures.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  log('central').warn(
    'BLEKIT_AGENT_REREGISTER_FAILED',
    `bluetoothd came back but the pairing agent could not be registered again: ${why}`,
  );
}
