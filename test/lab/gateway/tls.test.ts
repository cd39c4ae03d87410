// The gateway over TLS to Debian's mosquitto: certificates made here with openssl (a lab CA, a
// server certificate for 127.0.0.1, a client certificate, and a second CA nobody trusts). One
// listener takes a user name and password, another requires a client certificate; mosquitto_sub
// over TLS is the independent client that reads what the gateway published. A wrong password and
// an untrusted broker certificate must stop the gateway with the broker's reason, not hang it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertInLab, run } from '../../support/proc.js';
import { ready, start, startGateway, stop, type Proc } from './support.js';

const PASSWORD_PORT = 8884;
const CERT_PORT = 8885;
const dir = mkdtempSync(join(tmpdir(), 'blekit-tls-'));
const file = (name: string): string => join(dir, name);
let broker: Proc | undefined;

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args, 60_000);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A key and a certificate for `cn` signed by the CA `ca` (ca.pem, ca.key). */
async function issue(name: string, cn: string, ca: string, ext?: string): Promise<void> {
  await must('openssl', [
    ...['req', ...EC, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`)],
    ...['-subj', `/CN=${cn}`],
  ]);
  if (ext) writeFileSync(file(`${name}.ext`), ext);
  await must('openssl', [
    ...['x509', '-req', '-in', file(`${name}.csr`), '-days', '2'],
    ...['-CA', file(`${ca}.pem`), '-CAkey', file(`${ca}.key`), '-CAcreateserial'],
    ...['-out', file(`${name}.pem`), ...(ext ? ['-extfile', file(`${name}.ext`)] : [])],
  ]);
}

async function makeCa(name: string): Promise<void> {
  await must('openssl', [
    ...['req', '-x509', ...EC, '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`)],
    ...['-days', '2', '-subj', `/CN=${name}`],
  ]);
}

/** mosquitto_sub over TLS on the password listener: the first message on `topic`. */
async function readOver(topic: string): Promise<Record<string, unknown>> {
  const r = await run(
    'mosquitto_sub',
    [
      ...['-h', '127.0.0.1', '-p', String(PASSWORD_PORT), '--cafile', file('ca.pem')],
      ...['-u', 'lab', '-P', 'lab-secret', '-t', topic, '-C', '1', '-W', '10'],
    ],
    15_000,
  );
  assert.equal(r.code, 0, `mosquitto_sub over TLS: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

before(async () => {
  assertInLab();
  await makeCa('ca');
  await makeCa('stranger');
  await issue('server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1\n');
  await issue('client', 'gateway-client', 'ca');
  await must('mosquitto_passwd', ['-b', '-c', file('passwd'), 'lab', 'lab-secret']);
  const tls = [
    `cafile ${file('ca.pem')}`,
    `certfile ${file('server.pem')}`,
    `keyfile ${file('server.key')}`,
  ];
  writeFileSync(
    file('mosquitto.conf'),
    [
      'per_listener_settings true',
      // Running as root, mosquitto would otherwise switch to its own user and lose the files.
      'user root',
      `listener ${PASSWORD_PORT} 127.0.0.1`,
      ...tls,
      'allow_anonymous false',
      `password_file ${file('passwd')}`,
      `listener ${CERT_PORT} 127.0.0.1`,
      ...tls,
      'require_certificate true',
      'use_identity_as_username true',
      'allow_anonymous false',
      '',
    ].join('\n'),
  );
  broker = start('mosquitto', ['-c', file('mosquitto.conf')]);
  for (let i = 0; ; i++) {
    const r = await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(PASSWORD_PORT), '--cafile', file('ca.pem')],
      ...['-u', 'lab', '-P', 'lab-secret', '-t', 'probe', '-m', 'x'],
    ]);
    if (r.code === 0) break;
    if (i > 50)
      throw new Error(`mosquitto over TLS did not start: ${r.stderr}\n${broker.output()}`);
    await new Promise((res) => setTimeout(res, 200));
  }
});

after(async () => {
  await stop(broker);
  rmSync(dir, { recursive: true, force: true });
});

const URL_PASSWORD = `mqtts://127.0.0.1:${PASSWORD_PORT}`;

test(
  'user name and password over TLS: the gateway publishes its status',
  { timeout: 180_000 },
  async () => {
    const gw = startGateway(
      PASSWORD_PORT,
      'tls-password',
      ['--ca', file('ca.pem'), '--username', 'lab'],
      'hci0',
      {
        url: URL_PASSWORD,
        env: { BLEKIT_MQTT_PASSWORD: 'lab-secret' },
      },
    );
    try {
      await ready(gw);
      const status = await readOver('blekit/gateways/tls-password/status');
      assert.equal(status.state, 'online');
    } finally {
      await stop(gw, 'SIGINT');
    }
  },
);

test('a client certificate instead of a password', { timeout: 180_000 }, async () => {
  const gw = startGateway(
    CERT_PORT,
    'tls-cert',
    ['--ca', file('ca.pem'), '--cert', file('client.pem'), '--key', file('client.key')],
    'hci0',
    { url: `mqtts://127.0.0.1:${CERT_PORT}` },
  );
  try {
    await ready(gw);
    // Both listeners share the broker's store: read it back on the password listener.
    const status = await readOver('blekit/gateways/tls-cert/status');
    assert.equal(status.state, 'online');
  } finally {
    await stop(gw, 'SIGINT');
  }
});

for (const [what, args, env, reason] of [
  [
    'a wrong password',
    ['--ca', file('ca.pem'), '--username', 'lab'],
    { BLEKIT_MQTT_PASSWORD: 'not-it' },
    /not authori[sz]ed|bad user name or password/i,
  ],
  [
    'a broker certificate from a CA it does not trust',
    ['--ca', file('stranger.pem'), '--username', 'lab'],
    { BLEKIT_MQTT_PASSWORD: 'lab-secret' },
    /certificate/i,
  ],
] as const) {
  test(`${what}: the gateway stops with the reason`, { timeout: 120_000 }, async () => {
    const gw = startGateway(PASSWORD_PORT, 'tls-refused', [...args], 'hci0', {
      url: URL_PASSWORD,
      env: { ...env },
    });
    const code = await gw.exited;
    assert.notEqual(code, 0, gw.output());
    assert.match(gw.output(), /cannot connect to MQTT broker/, gw.output());
    assert.match(gw.output(), reason, gw.output());
  });
}
