// The GATT decorators under both TypeScript dialects: the project build compiles this file's
// Battery class with standard decorators; the test compiles the same class again with
// `experimentalDecorators` (type-checked by tsc, so TS1241 would fail it), runs both, and
// expects the same service definition.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { characteristic, onWrite, Service } from '../../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', '..', '..', 'src', 'index.js');

// FIXTURE-START
class Battery extends Service {
  level = 100;
  constructor() {
    super('180f');
  }
  @characteristic('2a19', { flags: ['read', 'write'] })
  batteryLevel(): Uint8Array {
    return Uint8Array.of(this.level);
  }
  @onWrite('batteryLevel')
  setLevel(req: { value: Buffer }): void {
    this.level = req.value[0] ?? 0;
  }
}
// FIXTURE-END

function shape(s: Service) {
  const d = s.toDefinition();
  return d.characteristics?.map((c) => ({ uuid: c.uuid, flags: c.flags, write: !!c.onWrite }));
}

test('experimentalDecorators: the same class type-checks, runs and declares the same service', async (t) => {
  const src = readFileSync(
    join(here, '..', '..', '..', '..', 'test', 'unit', 'peripheral', 'decorators-dialects.test.ts'),
    'utf8',
  );
  const body = src.slice(src.indexOf('// FIXTURE-START'), src.indexOf('// FIXTURE-END'));
  const dir = mkdtempSync(join(tmpdir(), 'blekit-legacy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'legacy.ts');
  // An ES module, as NodeNext decides from the nearest package.json.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    file,
    `import { characteristic, onWrite, Service } from ${JSON.stringify(entry)};\n${body}\nexport const battery = new Battery();\n`,
  );
  const program = ts.createProgram([file], {
    experimentalDecorators: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(here, '..', '..', '..', '..', 'node_modules', '@types')],
    outDir: dir,
  });
  const diags = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(diags, []);
  program.emit();
  const out = join(dir, 'legacy.js');
  const mod = (await import(pathToFileURL(out).href)) as { battery: Service };
  assert.deepEqual(shape(mod.battery), shape(new Battery()));
  assert.deepEqual(shape(mod.battery), [{ uuid: '2a19', flags: ['read', 'write'], write: true }]);
  const def = mod.battery.toDefinition();
  await def.characteristics?.[0]?.onWrite?.({ value: Buffer.from([42]) } as never);
  assert.equal((mod.battery as unknown as { level: number }).level, 42);
});
