// `npm run bench:gateway`: boots the lab once with -n controllers (default 4: hci0 listens, the
// others advertise), runs bench/gateway/lab.ts inside it, prints the tables and writes
// bench/results/gateway-latest.json. `--from FILE` re-reads an earlier run's records instead.
// BLEKIT_GWBENCH_BURST (per advertiser), _PACE (all advertisers together, per second), _ROUNDS,
// _READS and _NO_READS=1 pass into the VM.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostMachine, labRecords } from '../lab-records.js';
import { RECORDS_FILE, type AdvRun, type GatewayBenchRecord, type ReadRun } from './protocol.js';
import { advRows, advTable, ratios, readRows, readTable } from './report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const controllers = Number(arg('-n') ?? 4);

async function collect(): Promise<string[]> {
  const from = arg('--from');
  if (from) return readFileSync(from, 'utf8').split('\n');
  return labRecords(
    {
      command: [process.execPath, `${root}dist/bench/gateway/lab.js`],
      cwd: root,
      controllers,
      timeoutSec: 30 * 60,
      env: Object.keys(process.env).filter((k) => k.startsWith('BLEKIT_GWBENCH_')),
    },
    RECORDS_FILE,
  );
}

const records = (await collect())
  .map((l) => l.trim())
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as GatewayBenchRecord);
const adv = advRows(records.filter((r): r is AdvRun => r.kind === 'adv'));
const reads = readRows(records.filter((r): r is ReadRun => r.kind === 'read'));
const failed = records.filter((r) => r.kind === 'failed');
const vm = records.find((r) => r.kind === 'environment') ?? {};
const ratio = ratios(adv, reads);

const json = {
  generated: new Date().toISOString(),
  machine: {
    host: hostMachine(),
    vm,
    controllers,
  },
  method:
    'One lab boot with N btvirt controllers: hci0 listens, hci1..hciN-1 advertise at once, each one mgmt AddAdvertising per advertisement (btvirt reports an advertiser once per advertising enable) with its burst id and the next counter in manufacturer data 0xffff, sharing one pace. Rounds alternate a bare blekit Central scanStream (duplicates on) counting distinct counters in its own process, and a blekit Gateway (minIntervalMs 0, discovery off, the bundle as installed) publishing to mosquitto with mosquitto_sub counting distinct counters on blekit/devices/+/advertisement. received/s: distinct counters over first sent to the later of last sent and last received. CPU and RSS are the measured process only (Central or Gateway; process.cpuUsage, RSS sampled every 50 ms) from just before the burst to 2 s after the last counter. Reads: a blekit peripheral on hci1; a Central connects, discovers, reads once untimed, then N sequential timed reads; then a Gateway with the peer allowed gets connect, one untimed read and N read commands over MQTT 5 (response topic, correlation data) from an mqtt.js client, each timed request to reply.',
  advertisements: adv,
  reads,
  gatewayOverCentral: ratio,
  failed,
  records,
};
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/gateway-latest.json`, JSON.stringify(json, null, 2) + '\n');
const advertisers = (vm as { advertisers?: string[] }).advertisers ?? [];
process.stdout.write(
  `Advertisers: ${advertisers.length} (${advertisers.join(', ')}), ${String((vm as { burstPerAdvertiser?: number }).burstPerAdvertiser)} advertisements each per round, ${String((vm as { pacePerSec?: number }).pacePerSec)}/s together\n\n` +
    `${advTable(adv)}\n\n${readTable(reads)}\n\nGateway / bare Central: ${
      Object.entries(ratio)
        .map(([k, v]) => `${k} ${v.toFixed(2)}x`)
        .join(', ') || 'not measured'
    }\n`,
);
for (const r of adv) {
  if (r.intake) {
    process.stdout.write(
      `The gateway took in ${r.intake.reports} reports and published ${r.intake.published} messages (presence included) in its windows.\n`,
    );
  }
}
for (const r of [...adv, ...reads]) {
  if (r.errors.length) process.stdout.write(`errors (${r.path}): ${r.errors.join(' | ')}\n`);
}
for (const r of failed) process.stdout.write(`failed: ${r.stage}: ${r.message}\n`);
process.stdout.write('\nWrote bench/results/gateway-latest.json\n');
