// `blekit scan` on a real terminal (tmux): the live table renders and updates in place.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertInLab, HCI1_ADDR, run } from '../../support/proc.js';
import { cli, serve, until, type Served } from './support.js';

const SOCKET = 'blekit-cli-test';
const SESSION = 'scan';
const tmux = (args: string[]) =>
  run('tmux', ['-L', SOCKET, ...args], 20_000).then((r) => {
    if (r.code !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
    return r.stdout;
  });
const pane = (): Promise<string> => tmux(['capture-pane', '-p', '-t', SESSION]);

const spec = join(tmpdir(), 'blekit-tmux-scan.yaml');
let served: Served | undefined;

before(() => {
  assertInLab();
  writeFileSync(
    spec,
    'name: tmux-scan\nservices:\n  - uuid: 180f\n    characteristics:\n      - { uuid: 2a19, value: { uint8: 50 } }\n',
  );
});

after(async () => {
  await served?.stop();
  await tmux(['kill-server']).catch(() => undefined);
});

function rowsFor(text: string, address: string): string[] {
  return text.split('\n').filter((l) => l.includes(address));
}

function seen(row: string | undefined): number {
  const cells = (row ?? '')
    .split('│')
    .map((c) => c.trim())
    .filter(Boolean);
  return Number(cells[cells.length - 1]);
}

test('the live scan table renders, shows the advertiser, and updates in place', async () => {
  process.env.TERM ??= 'xterm-256color';
  await tmux([
    'new-session',
    '-d',
    '-s',
    SESSION,
    '-x',
    '160',
    '-y',
    '40',
    process.execPath,
    cli,
    'scan',
    '--adapter',
    'hci0',
    '--timeout',
    '120',
    '--name',
    'tmux-scan',
  ]);
  // Renders: the header and the status line, before any device.
  await until(
    async () =>
      /Address.*Type.*Name.*RSSI/.test(await pane()) && /scanning on hci0/.test(await pane()),
    30_000,
    'the empty table',
  );
  const empty = await pane();
  assert.equal(rowsFor(empty, HCI1_ADDR).length, 0);
  const clock = /, (\d+) s$/m.exec(empty)?.[1];

  // btvirt reports once per advertising enable: the scan runs first, then hci1 advertises.
  served = await serve(spec);
  await until(
    async () => rowsFor(await pane(), HCI1_ADDR).length === 1,
    40_000,
    'the row for hci1',
  );
  const first = await pane();
  assert.match(rowsFor(first, HCI1_ADDR)[0] ?? '', /tmux-scan/);
  assert.equal(seen(rowsFor(first, HCI1_ADDR)[0]), 1);
  assert.notEqual(/, (\d+) s$/m.exec(first)?.[1], clock, 'the clock in the status line moved');

  // A second advertising enable: the same row updates (seen 2), nothing is appended.
  assert.equal(await served.stop(), 0);
  served = await serve(spec);
  await until(
    async () => seen(rowsFor(await pane(), HCI1_ADDR)[0]) >= 2,
    40_000,
    'the row to update',
  );
  const second = await pane();
  assert.equal(rowsFor(second, HCI1_ADDR).length, 1, 'still one row');
  assert.equal(
    second.split('\n').filter((l) => /Address.*RSSI/.test(l)).length,
    1,
    'one header: redrawn in place',
  );
  assert.match(second, /1 device,/);
});
