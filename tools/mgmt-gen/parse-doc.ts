/**
 * Reads BlueZ's doc/mgmt-api.txt into a protocol model. The doc is prose with a regular
 * header block per command and event ("Command Code:", "... Parameters:" lines); what the
 * block layout cannot say (which bits a bitmask has, which list a count belongs to when
 * it is ambiguous) comes from the small tables in overrides.ts.
 */
import { FIELD_ALIASES, FIELD_FLAG_SETS, FLAG_SET_SOURCES, LIST_OVERRIDES } from './overrides.js';
import type { FieldSpec, FlagSetSpec, MessageSpec, ProtocolModel } from './model.js';

interface Section {
  title: string;
  lines: string[];
}

/** Raw parameter line from a header block, before any interpretation. */
type Token =
  | { t: 'scalar'; name: string; size: number; optional: boolean }
  | { t: 'var'; name: string }
  | { t: 'open'; name: string }
  | { t: 'close' }
  | { t: 'empty'; name: string }
  | { t: 'more' }
  | { t: 'rest'; name: string };

function fail(msg: string): never {
  throw new Error(`mgmt-api.txt: ${msg}`);
}

function splitSections(text: string): Section[] {
  const lines = text.split('\n').map((l) => l.replace(/\s+$/, ''));
  const heads: number[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const l = lines[i] as string;
    const u = lines[i + 1] as string;
    if (l !== '' && /^=+$/.test(u) && !/^\s/.test(l)) heads.push(i);
  }
  return heads.map((h, k) => ({
    title: lines[h] as string,
    lines: lines.slice(h + 2, k + 1 < heads.length ? heads[k + 1] : lines.length),
  }));
}

function words(name: string): string[] {
  return name
    .replace(/\[i\]$/, '')
    .split(/[\s_/.-]+/)
    .filter((w) => w !== '');
}

/** 'Current_Settings' → 'currentSettings', 'BR/EDR' → 'brEdr', 'TxPower' → 'txPower'. */
export function camelName(name: string): string {
  const ws = words(name);
  return ws
    .map((w, i) => {
      const acronym = /^[A-Z0-9]+s?$/.test(w);
      if (i === 0) return acronym ? w.toLowerCase() : w[0]!.toLowerCase() + w.slice(1);
      return acronym ? w[0]! + w.slice(1).toLowerCase() : w[0]!.toUpperCase() + w.slice(1);
    })
    .join('');
}

/** 'Set BR/EDR Command' → 'SetBrEdr'. */
export function pascalName(title: string): string {
  const n = camelName(title.replace(/ (Command|Event)$/, ''));
  return n[0]!.toUpperCase() + n.slice(1);
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/ enabled$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function tokenize(items: string[], where: string): Token[] {
  return items.map((raw): Token => {
    const s = raw.trim();
    const alias = (n: string): string => FIELD_ALIASES[n] ?? n;
    let m: RegExpMatchArray | null;
    if (s === '...') return { t: 'more' };
    if (s === '}') return { t: 'close' };
    if ((m = /^(.+?)\s*\{\s*\}$/.exec(s))) return { t: 'empty', name: m[1]! };
    if ((m = /^(.+?)\s*\{$/.exec(s))) return { t: 'open', name: m[1]! };
    if ((m = /^(.+?)\s*\((\d+) Octets?(, Optional)?\)$/i.exec(s)))
      return { t: 'scalar', name: alias(m[1]!), size: Number(m[2]), optional: m[3] !== undefined };
    if ((m = /^(.+?)\s*\((0-\d+ Octets|variable|1-variable Octets)\)$/i.exec(s)))
      return { t: 'var', name: m[1]! };
    if (/^[A-Za-z_]+$/.test(s)) return { t: 'rest', name: s };
    return fail(`${where}: cannot read parameter line ${JSON.stringify(s)}`);
  });
}

/** The lines of one "<Kind> Parameters:" block: the value after the colon plus its continuations. */
function paramBlock(lines: string[], key: string): string[] | undefined {
  const i = lines.findIndex((l) => new RegExp(`^\\t${key}:`, 'i').test(l));
  if (i < 0) return undefined;
  const first = (lines[i] as string).replace(/^\t[^:]+:/, '').trim();
  const out = first === '' ? [] : [first];
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j] as string;
    if (!/^\t\t\t/.test(l)) break;
    out.push(l.trim());
  }
  return out;
}

/** True when `next` is "X2" after "X1": the doc's way of writing a repeated scalar. */
function sameStem(next: Token | undefined, first: string): boolean {
  return next?.t === 'scalar' && next.name === first.replace(/1$/, '2');
}

const norm = (s: string): string => words(s).join('').toLowerCase();
const isCountName = (n: string): boolean => /^Num[_ ]|_Count$/.test(n);

function countListName(countName: string): string {
  const m = /^Num[_ ](?:Of_)?(.+)$/.exec(countName);
  if (m) return camelName(m[1]!);
  return camelName(countName.replace(/_Count$/, '')) + 's';
}

interface Ctx {
  message: string;
  flagSets: Map<string, FlagSetSpec>;
}

function scalarField(
  name: string,
  size: number,
  optional: boolean,
  scope: FieldSpec[],
  ctx: Ctx,
): FieldSpec {
  const id = camelName(name);
  const base = { name: id, ...(optional ? { optional: true } : {}) };
  const flagSet =
    FIELD_FLAG_SETS[`${ctx.message}.${id}`] ?? FIELD_FLAG_SETS[`*.${id}`] ?? undefined;
  if (size === 6 && /^(address|randomAddress)$/.test(id)) return { ...base, type: 'address' };
  if (size === 1 && id === 'addressType') {
    // A type next to an address says which kind it is; alone (discovery) it is a bitmask.
    return scope.some((f) => f.type === 'address')
      ? { ...base, type: 'addressType' }
      : { ...base, type: 'flags', size: 1, set: 'addressTypes' };
  }
  if (flagSet !== undefined) {
    if (!ctx.flagSets.has(flagSet)) fail(`${ctx.message}.${id}: unknown flag set ${flagSet}`);
    return { ...base, type: 'flags', size, set: flagSet };
  }
  if (size === 16 && id === 'uuid') return { ...base, type: 'uuid' };
  if ((size === 249 || size === 11) && /name$/i.test(id)) return { ...base, type: 'string', size };
  if (size === 1 && /rssi|txPower|Threshold$|threshold$/i.test(id) && !/Timer$/.test(id))
    return { ...base, type: 'i8' };
  if (size === 1) return { ...base, type: 'u8' };
  if (size === 2) return { ...base, type: 'u16' };
  if (size === 3) return { ...base, type: 'u24' };
  if (size === 4) return { ...base, type: 'u32' };
  return { ...base, type: 'bytes', size };
}

/** Turns tokens into fields: structs, repeated items, counts and lengths tied to what they measure. */
function buildFields(tokens: Token[], ctx: Ctx): FieldSpec[] {
  const out: FieldSpec[] = [];
  const pendingCounts: FieldSpec[] = [];
  let i = 0;
  const attachCount = (list: FieldSpec & { type: 'list' }): void => {
    const c = pendingCounts.shift();
    if (c && c.type === 'count') {
      list.name = countListName(c.docName ?? c.name);
      c.of = list.name;
    }
  };
  const readStructBody = (): FieldSpec[] => {
    const body: Token[] = [];
    let depth = 1;
    while (i < tokens.length) {
      const tk = tokens[i++] as Token;
      if (tk.t === 'open') depth++;
      if (tk.t === 'close' && --depth === 0) return buildFields(body, ctx);
      body.push(tk);
    }
    return fail(`${ctx.message}: unclosed {`);
  };
  while (i < tokens.length) {
    const tk = tokens[i++] as Token;
    if (tk.t === 'scalar' && /\[i\]$/.test(tk.name)) {
      // Consecutive "X[i]" lines are the members of one repeated item.
      const item: FieldSpec[] = [];
      i--;
      while (i < tokens.length) {
        const t2 = tokens[i] as Token;
        if (t2.t !== 'scalar' || !/\[i\]$/.test(t2.name)) break;
        item.push(scalarField(t2.name, t2.size, false, item, ctx));
        i++;
      }
      const list: FieldSpec & { type: 'list' } = { name: item[0]!.name, type: 'list', item };
      attachCount(list);
      out.push(list);
    } else if (tk.t === 'scalar' && /1$/.test(tk.name) && sameStem(tokens[i], tk.name)) {
      // "Handle1 (2 Octets)", "Handle2 (2 Octets)", "..." is a list of one scalar.
      const item = [scalarField(tk.name.replace(/\d+$/, ''), tk.size, false, [], ctx)];
      while (i < tokens.length && (tokens[i] as Token).t !== 'more') i++;
      i++;
      const list: FieldSpec & { type: 'list' } = { name: item[0]!.name, type: 'list', item };
      attachCount(list);
      out.push(list);
    } else if (tk.t === 'scalar') {
      if (isCountName(tk.name) && tk.size <= 2) {
        const c: FieldSpec = { name: camelName(tk.name), type: 'count', size: tk.size, of: '' };
        c.docName = tk.name;
        pendingCounts.push(c);
        out.push(c);
      } else {
        out.push(scalarField(tk.name, tk.size, tk.optional, out, ctx));
      }
    } else if (tk.t === 'open' && /\d$/.test(tk.name)) {
      // "Key1 { ... }", "Key2 { }", "...": a repeated struct.
      const item = readStructBody();
      while (i < tokens.length && ['empty', 'more'].includes((tokens[i] as Token).t)) i++;
      const list: FieldSpec & { type: 'list' } = {
        name: camelName(tk.name.replace(/\d+$/, '')) + 's',
        type: 'list',
        item,
      };
      attachCount(list);
      out.push(list);
    } else if (tk.t === 'open') {
      out.push({ name: camelName(tk.name), type: 'struct', fields: readStructBody() });
    } else if (tk.t === 'var') {
      const id = camelName(tk.name);
      const lenField = [...out]
        .reverse()
        .find(
          (f) =>
            (f.type === 'u8' || f.type === 'u16') &&
            f.docName !== undefined &&
            norm(f.docName.replace(/[_ ](Len|Length)$/, '')) === norm(tk.name) &&
            /[_ ](Len|Length)$/.test(f.docName),
        );
      const ad = /^(eirData|adData|advData|scanRsp|advertisingData|scanResponse)$/.test(id);
      if (lenField) {
        const idx = out.indexOf(lenField);
        out[idx] = {
          name: lenField.name,
          type: 'len',
          size: lenField.type === 'u8' ? 1 : 2,
          of: id,
        };
        out.push({ name: id, type: 'var', ...(ad ? { ad: true } : {}) });
      } else {
        out.push({ name: id, type: 'rest', ...(ad ? { ad: true } : {}) });
      }
    } else if (tk.t === 'rest') {
      out.push({ name: camelName(tk.name), type: 'rest' });
    } else {
      fail(`${ctx.message}: unexpected ${tk.t} token`);
    }
    // Remember the doc spelling of plain scalars so a later variable field can find its length.
    const last = out[out.length - 1];
    if (tk.t === 'scalar' && last && last.docName === undefined && last.type !== 'list')
      last.docName = tk.name;
  }
  for (const f of out)
    if (f.type === 'count' && f.of === '') fail(`${ctx.message}: ${f.name} counts nothing`);
  return out;
}

function stripDocNames(fields: FieldSpec[]): FieldSpec[] {
  return fields.map((f) => {
    const { docName: _d, ...rest } = f;
    if (rest.type === 'list') return { ...rest, item: stripDocNames(rest.item) };
    if (rest.type === 'struct') return { ...rest, fields: stripDocNames(rest.fields) };
    return rest;
  });
}

function parseFlagSets(sections: Section[]): Map<string, FlagSetSpec> {
  const sets = new Map<string, FlagSetSpec>();
  for (const src of FLAG_SET_SOURCES) {
    const sec = sections.find((s) => s.title === src.section);
    if (!sec) fail(`flag set ${src.set}: no section ${src.section}`);
    const at = sec.lines.findIndex((l) => src.anchor.test(l));
    if (at < 0) fail(`flag set ${src.set}: anchor ${src.anchor} not found in ${src.section}`);
    const bits: (string | null)[] = [];
    let seen = false;
    for (let j = at + 1; j < sec.lines.length; j++) {
      const l = sec.lines[j] as string;
      const m = /^\t\t(\d+)\t(.+)$/.exec(l);
      if (m) {
        seen = true;
        const bit = Number(m[1]);
        if (bit !== bits.length) fail(`flag set ${src.set}: bit ${bit} out of order`);
        const text = m[2]!.trim();
        bits.push(/^Reserved/.test(text) ? null : slug(text));
      } else if (/^\t\t\t/.test(l) || (!seen && j - at <= 4)) {
        // Wrapped bit text, or the rest of the sentence that introduces the table.
        continue;
      } else {
        break;
      }
    }
    if (src.names) {
      if (src.names.length !== bits.length)
        fail(
          `flag set ${src.set}: doc has ${bits.length} bits, override names ${src.names.length}`,
        );
      src.names.forEach((n, k) => {
        if (bits[k] !== null) bits[k] = n;
      });
    }
    sets.set(src.set, { name: src.set, bits });
  }
  return sets;
}

function parseStatus(sections: Section[]): Record<number, string> {
  const sec = sections.find((s) => s.title === 'Error Codes') ?? fail('no Error Codes section');
  const out: Record<number, string> = {};
  for (const l of sec.lines) {
    const m = /^0x([0-9A-F]{2})\t(.+)$/i.exec(l);
    if (m) out[parseInt(m[1]!, 16)] = m[2]!.trim();
  }
  return out;
}

function parseMessage(sec: Section, kind: 'command' | 'event', ctx: Ctx): MessageSpec {
  const codeLine = sec.lines.find((l) => /^\t(Command|Event) Code:/i.test(l));
  const code = /0x([0-9a-f]{4})/i.exec(codeLine ?? '') ?? fail(`${sec.title}: no code`);
  const idxLine = sec.lines.find((l) => /^\tController Index:/.test(l)) ?? '';
  const index = /or <non-controller>/.test(idxLine)
    ? 'any'
    : /<non-controller>/.test(idxLine)
      ? 'none'
      : 'controller';
  const build = (key: string): FieldSpec[] => {
    const ov = LIST_OVERRIDES[`${ctx.message}.${key}`];
    if (ov) return ov;
    const block = paramBlock(sec.lines, key) ?? [];
    return stripDocNames(buildFields(tokenize(block, `${sec.title} ${key}`), ctx));
  };
  const spec: MessageSpec = {
    name: ctx.message,
    code: parseInt(code[1]!, 16),
    index,
    params: build(kind === 'command' ? 'Command Parameters' : 'Event Parameters'),
  };
  if (kind === 'command') spec.reply = build('Return Parameters');
  return spec;
}

export function parseMgmtDoc(text: string): ProtocolModel {
  const sections = splitSections(text);
  const flagSets = parseFlagSets(sections);
  const commands: MessageSpec[] = [];
  const events: MessageSpec[] = [];
  for (const sec of sections) {
    const kind = / Command$/.test(sec.title)
      ? 'command'
      : / Event$/.test(sec.title)
        ? 'event'
        : null;
    if (!kind) continue;
    const name = pascalName(sec.title);
    const spec = parseMessage(sec, kind, { message: name, flagSets });
    (kind === 'command' ? commands : events).push(spec);
  }
  for (const list of [commands, events]) {
    const seen = new Set<number>();
    for (const m of list) {
      if (seen.has(m.code)) fail(`duplicate code 0x${m.code.toString(16)} (${m.name})`);
      seen.add(m.code);
    }
    list.sort((a, b) => a.code - b.code);
  }
  return { status: parseStatus(sections), flagSets: [...flagSets.values()], commands, events };
}
