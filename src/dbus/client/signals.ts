/**
 * Match rules and the routing of signals to their handlers. A rule with a fixed path is found
 * by one map lookup (a PropertiesChanged per notification takes this path); the others are
 * checked one by one. The bus daemon applies the sender part of a rule: a well-known name such
 * as org.bluez never appears as a signal's sender, which is the owner's unique name.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { WireMessage } from '../message-codec.js';

export interface MatchRule {
  sender?: string;
  interface?: string;
  member?: string;
  /** Exactly this object path. */
  path?: string;
  /** This object path or any below it. */
  pathNamespace?: string;
  /** The first argument is this object path or one below it (the rule's arg0path with '/'). */
  arg0Namespace?: string;
  /** The first argument is exactly this string (e.g. a bus name in NameOwnerChanged). */
  arg0?: string;
}

export type SignalHandler = (message: WireMessage) => void;

interface Entry {
  rule: MatchRule;
  handler: SignalHandler;
}

const RULE_VALUE = /^[^',\\]*$/;

/** The rule as the bus daemon's AddMatch takes it. */
export function matchRuleText(rule: MatchRule): string {
  const parts = ["type='signal'"];
  const put = (key: string, v: string | undefined): void => {
    if (v === undefined) return;
    if (!RULE_VALUE.test(v)) throw new InvalidArgumentError(`bad match rule value ${key}=${v}`);
    parts.push(`${key}='${v}'`);
  };
  put('sender', rule.sender);
  put('interface', rule.interface);
  put('member', rule.member);
  put('path', rule.path);
  put('path_namespace', rule.pathNamespace);
  put('arg0', rule.arg0);
  if (rule.arg0Namespace !== undefined) {
    put('arg0path', rule.arg0Namespace === '/' ? '/' : `${rule.arg0Namespace}/`);
  }
  return parts.join(',');
}

export function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : root + '/');
}

function matches(rule: MatchRule, m: WireMessage): boolean {
  if (rule.interface !== undefined && m.interface !== rule.interface) return false;
  if (rule.member !== undefined && m.member !== rule.member) return false;
  if (rule.path !== undefined && m.path !== rule.path) return false;
  if (rule.pathNamespace !== undefined && !isUnder(m.path ?? '', rule.pathNamespace)) return false;
  if (rule.arg0 !== undefined && m.body[0] !== rule.arg0) return false;
  if (rule.arg0Namespace !== undefined) {
    const arg0 = m.body[0];
    if (typeof arg0 !== 'string' || !isUnder(arg0, rule.arg0Namespace)) return false;
  }
  return true;
}

export class SignalRouter {
  private readonly byPath = new Map<string, Set<Entry>>();
  private readonly others = new Set<Entry>();

  /** Adds a handler; returns its remover. */
  add(rule: MatchRule, handler: SignalHandler): () => void {
    const entry: Entry = { rule, handler };
    if (rule.path !== undefined) {
      let set = this.byPath.get(rule.path);
      if (!set) this.byPath.set(rule.path, (set = new Set()));
      set.add(entry);
      return () => {
        set.delete(entry);
        if (set.size === 0 && this.byPath.get(rule.path!) === set) this.byPath.delete(rule.path!);
      };
    }
    this.others.add(entry);
    return () => this.others.delete(entry);
  }

  get size(): number {
    let n = this.others.size;
    for (const s of this.byPath.values()) n += s.size;
    return n;
  }

  /** Hands a signal to every handler whose rule it matches; a throwing handler goes to onError. */
  route(m: WireMessage, onError: (e: unknown) => void): void {
    const exact = m.path === undefined ? undefined : this.byPath.get(m.path);
    for (const set of exact ? [exact, this.others] : [this.others]) {
      for (const e of [...set]) {
        if (!matches(e.rule, m)) continue;
        try {
          e.handler(m);
        } catch (err) {
          onError(err);
        }
      }
    }
  }
}
