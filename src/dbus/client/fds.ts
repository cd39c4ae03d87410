/**
 * Which of a message's fds its body names ('h' values decode to the fd numbers themselves), so
 * a connection can close the ones nobody will ever see.
 */
import { parseSignature, type TypeNode } from '../signature.js';

export function referencedFds(signature: string, body: readonly unknown[]): Set<number> {
  const out = new Set<number>();
  if (!signature.includes('h')) return out;
  parseSignature(signature).forEach((t, i) => collect(t, body[i], out));
  return out;
}

function collect(t: TypeNode, v: unknown, out: Set<number>): void {
  switch (t.code) {
    case 'h':
      if (typeof v === 'number') out.add(v);
      return;
    case 'v': {
      const variant = v as { signature?: unknown; value?: unknown } | null;
      if (variant && typeof variant.signature === 'string') {
        collect(parseSignature(variant.signature)[0]!, variant.value, out);
      }
      return;
    }
    case '(':
      if (Array.isArray(v)) t.children.forEach((c, i) => collect(c, v[i], out));
      return;
    case 'a': {
      const elem = t.children[0]!;
      if (elem.code === '{') {
        const valueType = elem.children[1]!;
        const values = v instanceof Map ? [...v.values()] : Object.values(v as object);
        for (const item of values) collect(valueType, item, out);
      } else if (Array.isArray(v)) {
        for (const item of v) collect(elem, item, out);
      }
      return;
    }
  }
}
