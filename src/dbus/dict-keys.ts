/**
 * dbus-next 0.10 turns every dict into entries with string keys (Object.keys), so an
 * integer-keyed dict such as BlueZ's ManufacturerData (a{qv}) fails its UINT16 check and the
 * whole message is dropped. This restores numeric keys where the signature says the key is an
 * integer, on the marshaller-format body just before it is written.
 */
import { createRequire } from 'node:module';

interface SigNode {
  type: string;
  child: SigNode[];
}

const require = createRequire(import.meta.url);
const INTEGER_KEYS = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

/** Fixes keys in place; `value` is in dbus-next's marshaller format for `sig`. */
export function numericDictKeys(
  sig: SigNode,
  value: unknown,
  parse: (s: string) => SigNode[],
): void {
  if (value === null || value === undefined) return;
  switch (sig.type) {
    case 'a': {
      const child = sig.child[0]!;
      if (child.type === 'y' || !Array.isArray(value)) return;
      if (child.type === '{') {
        const [keyType, valueType] = child.child as [SigNode, SigNode];
        for (const entry of value as [unknown, unknown][]) {
          if (INTEGER_KEYS.has(keyType.type) && typeof entry[0] === 'string') {
            entry[0] = Number(entry[0]);
          }
          numericDictKeys(valueType, entry[1], parse);
        }
      } else {
        for (const v of value) numericDictKeys(child, v, parse);
      }
      return;
    }
    case '(':
      if (Array.isArray(value)) sig.child.forEach((c, i) => numericDictKeys(c, value[i], parse));
      return;
    case 'v': {
      const [s, inner] = value as [string, unknown];
      const tree = parse(s)[0];
      if (tree) numericDictKeys(tree, inner, parse);
      return;
    }
  }
}

let installed = false;

/** Wraps dbus-next's message marshaller once per process. */
export function installDictKeyFix(): void {
  if (installed) return;
  installed = true;
  const message = require('dbus-next/lib/message.js') as {
    marshall: (msg: { signature?: string; body?: unknown[] }) => unknown;
  };
  const { parseSignature } = require('dbus-next/lib/signature.js') as {
    parseSignature: (s: string) => SigNode[];
  };
  const parse = cachedParser(parseSignature);
  const marshall = message.marshall;
  message.marshall = (msg) => {
    if (msg.signature && msg.body) {
      const tree = parse(msg.signature);
      tree.forEach((t, i) => numericDictKeys(t, msg.body![i], parse));
    }
    return marshall(msg);
  };
}

/** Most signatures a cachedParser keeps; variant signatures come from data, so it is bounded. */
const PARSE_CACHE_MAX = 256;

/**
 * Parsing the same few signatures on every message (a GATT write is 'aya{sv}' plus an 's'
 * variant) showed up in profiles of the emulated lab; the trees are only read, so share them.
 */
export function cachedParser(parse: (s: string) => SigNode[]): (s: string) => SigNode[] {
  const cache = new Map<string, SigNode[]>();
  return (s) => {
    let tree = cache.get(s);
    if (!tree) {
      tree = parse(s);
      if (cache.size >= PARSE_CACHE_MAX) cache.clear();
      cache.set(s, tree);
    }
    return tree;
  };
}
