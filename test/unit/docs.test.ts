// Every public export of every entry point in package.json `exports` carries a doc comment, and
// so does every public member of an exported class or enum and every export of an exported
// namespace: the API reference (`npm run docs`) is generated from them. Read from the emitted
// declarations without type-checking, so it takes about a second. `@internal` marks what is
// exported for the library's own modules only; a comment with tags but no text does not count.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const dist = join(fileURLToPath(import.meta.url), '..', '..', '..');
const root = join(dist, '..');

/** The declaration file of each entry point, from package.json `exports`. */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { types?: string }>;
  };
  const files = Object.entries(pkg.exports).map(([name, target]) => {
    assert.ok(target.types, `package.json exports["${name}"] has no types`);
    return join(root, target.types);
  });
  assert.ok(files.length > 0);
  return files;
}

function text(parts: readonly ts.SymbolDisplayPart[]): string {
  return parts
    .map((p) => p.text)
    .join('')
    .trim();
}

/** The JSDoc comments on a declaration, or for `export * as ns` on its export statement. */
function jsDocs(d: ts.Node): ts.JSDoc[] {
  const own = ts.getJSDocCommentsAndTags(d).filter(ts.isJSDoc);
  if (own.length > 0 || !ts.isNamespaceExport(d)) return own;
  return ts.getJSDocCommentsAndTags(d.parent).filter(ts.isJSDoc);
}

function hasText(doc: ts.JSDoc): boolean {
  const c = doc.comment;
  return typeof c === 'string' ? c.trim() !== '' : (c?.some((n) => n.text.trim() !== '') ?? false);
}

function documented(s: ts.Symbol, checker: ts.TypeChecker, alias?: ts.Symbol): boolean {
  if (text(s.getDocumentationComment(checker)) !== '') return true;
  // A doc on any declaration counts (overloads, a merged class + interface), and so does one on
  // the `export * as name` that made a module a namespace.
  const decls = [...(s.declarations ?? []), ...(alias?.declarations ?? [])];
  return decls.some((d) => jsDocs(d).some(hasText));
}

function internal(s: ts.Symbol): boolean {
  return s.getJsDocTags().some((t) => t.name === 'internal');
}

/** A member implementing or overriding a documented one of an interface or base class. */
function inherited(cls: ts.Symbol, name: string, checker: ts.TypeChecker): boolean {
  for (const d of cls.declarations ?? []) {
    if (!ts.isClassDeclaration(d)) continue;
    for (const clause of d.heritageClauses ?? []) {
      for (const t of clause.types) {
        const p = checker.getTypeAtLocation(t).getProperty(name);
        if (p && documented(p, checker)) return true;
      }
    }
  }
  return false;
}

function hidden(d: ts.Declaration | undefined): boolean {
  if (!d) return false;
  if (ts.isPropertyDeclaration(d) && ts.isPrivateIdentifier(d.name)) return true;
  const mods = ts.canHaveModifiers(d) ? (ts.getModifiers(d) ?? []) : [];
  return mods.some(
    (x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword,
  );
}

/** `[Symbol.asyncDispose]` for a computed name, as the source spells it. */
function memberName(name: ts.PropertyName): string {
  return ts.isComputedPropertyName(name) ? `[${name.expression.getText()}]` : name.getText();
}

function where(d: ts.Declaration | undefined): string {
  if (!d) return '?';
  const f = d.getSourceFile();
  const line = f.getLineAndCharacterOfPosition(d.getStart()).line + 1;
  return `${relative(dist, f.fileName).replace(/\.d\.ts$/, '.ts')}:${line}`;
}

/** `Name (file:line)` for every undocumented public symbol reachable from the entry points. */
export function undocumented(files = entryPoints()): string[] {
  const program = ts.createProgram(files, { noLib: true, types: [], noResolve: false });
  const checker = program.getTypeChecker();
  const missing = new Set<string>();

  const visitMembers = (owner: string, s: ts.Symbol): void => {
    // Read from the declarations rather than the checker's member table: without the standard
    // library the checker cannot name `[Symbol.asyncDispose]` and leaves such members out.
    const groups = new Map<string, ts.Declaration[]>();
    for (const d of s.declarations ?? []) {
      if (!ts.isClassDeclaration(d) && !ts.isEnumDeclaration(d)) continue;
      for (const m of d.members as ts.NodeArray<ts.ClassElement | ts.EnumMember>) {
        if (!m.name || ts.isConstructorDeclaration(m) || hidden(m)) continue;
        const name = memberName(m.name);
        groups.set(name, [...(groups.get(name) ?? []), m]);
      }
    }
    for (const [name, decls] of groups) {
      // Overloads, or a getter and its setter: a doc on any of them counts.
      const docs = decls.flatMap(jsDocs);
      if (docs.some((j) => j.tags?.some((t) => t.tagName.text === 'internal'))) continue;
      if (docs.some(hasText) || inherited(s, name, checker)) continue;
      const m = checker.getSymbolAtLocation((decls[0] as ts.NamedDeclaration).name as ts.Node);
      if (m && documented(m, checker)) continue;
      missing.add(`${owner}.${name} (${where(decls[0])})`);
    }
  };

  const visitModule = (prefix: string, moduleSymbol: ts.Symbol): void => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const isAlias = (exported.flags & ts.SymbolFlags.Alias) !== 0;
      const s = isAlias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.name;
      if (internal(s) || (isAlias && internal(exported))) continue;
      if (!documented(s, checker, isAlias ? exported : undefined))
        missing.add(`${name} (${where(s.declarations?.[0])})`);
      if (s.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Enum)) visitMembers(name, s);
      // `export * as codec from './codec.js'`: its exports are public too.
      if (s.flags & ts.SymbolFlags.ValueModule && s.declarations?.some(ts.isSourceFile))
        visitModule(`${name}.`, s);
    }
  };

  for (const file of files) {
    const source = program.getSourceFile(file);
    assert.ok(source, `${file} is missing: run npm run build`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    assert.ok(moduleSymbol, `${file} is not a module`);
    visitModule('', moduleSymbol);
  }
  return [...missing].sort();
}

test('every public export of every package entry point and every public member has a doc comment', () => {
  const missing = undocumented();
  assert.equal(missing.length, 0, `undocumented (${missing.length}):\n${missing.join('\n')}`);
});

test('the check reports each kind of undocumented symbol, and only those', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blekit-docs-'));
  try {
    writeFileSync(
      join(dir, 'ns.d.ts'),
      [
        'export declare const bare: number;',
        '/** Documented. */',
        'export declare const ok: 1;',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'index.d.ts'),
      [
        'export declare function bareFunction(): void;',
        '/** @returns tags without text do not count */',
        'export declare function tagsOnly(): number;',
        '/** @internal */',
        'export declare function internalOne(): void;',
        '/** A class. */',
        'export declare class Cls {',
        '  /** Documented. */',
        '  ok(): void;',
        '  bareMethod(): void;',
        '  bareProperty: number;',
        '  static bareStatic: number;',
        '  get bareGetter(): number;',
        '  [Symbol.asyncDispose](): Promise<void>;',
        '  private hidden;',
        '  protected alsoHidden(): void;',
        '  #reallyHidden;',
        '  /** @internal */',
        '  internalMember(): void;',
        '}',
        '/** An enum. */',
        'export declare enum En {',
        '  /** Documented. */',
        '  Ok = 0,',
        '  Bare = 1,',
        '}',
        'export interface BareInterface { x: number }',
        '/** A namespace. */',
        "export * as ns from './ns.js';",
        "export * as bareNs from './ns.js';",
      ].join('\n'),
    );
    const names = undocumented([join(dir, 'index.d.ts')]).map((m) => m.split(' ')[0]);
    assert.deepEqual(names, [
      'BareInterface',
      'Cls.[Symbol.asyncDispose]',
      'Cls.bareGetter',
      'Cls.bareMethod',
      'Cls.bareProperty',
      'Cls.bareStatic',
      'En.Bare',
      'bareFunction',
      'bareNs',
      'bareNs.bare',
      'ns.bare',
      'tagsOnly',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
