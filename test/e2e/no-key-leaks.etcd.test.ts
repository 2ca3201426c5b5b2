// No private key leaves the secret store: a whole local provisioning with recording adapters around the
// real local ones — every state's input and output, every command sent to a host (and what it answered),
// every log line — and the CLI's own output (local up, status, env) carry no key, as PEM, as a bare
// base64 body, or base64-encoded (the *_B64 command inputs are decoded and checked too). A self-check
// plants keys in every one of those forms first, so that this test can fail.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRunner, Logger } from '../../lambdas/ports';
import { LocalWorkflowSandbox, threeMembers } from '../support/local-workflow';
import { LocalCliSandbox } from '../support/local-cli';
import { etcdUnderTest } from '../support/etcd-under-test';

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const B64_ASSIGNMENT = /\b([A-Z][A-Z0-9_]*_B64)=(?:'([^']*)'|"([^"]*)"|([^\s'"]+))/g;
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;

const decodeBase64 = (text: string) => Buffer.from(text, 'base64').toString('latin1');

/**
 * Finds key material in text: the words PRIVATE KEY (PEM armour, also JSON-escaped), and, given the
 * cluster's actual keys, a piece of any of their base64 bodies (a key without its armour). Every *_B64
 * assignment and every long base64 run is decoded and searched the same way, two levels deep.
 */
class KeyDetector {
  /** 48-character pieces from the second line of each key's body: unique to the key, never split by a line break. */
  private readonly fingerprints: string[];
  /** How many *_B64 values were decoded and checked (so that a test can tell the decoding ran). */
  decodedAssignments = 0;
  readonly decodedSamples: string[] = [];

  constructor(keysPem: readonly string[]) {
    this.fingerprints = keysPem.map((pem) => {
      const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
      if (!body[1] || body[1].length < 56) throw new Error('not a PEM private key');
      return body[1].slice(4, 52);
    });
  }

  findings(text: string, depth = 0): string[] {
    const found: string[] = [];
    if (/PRIVATE KEY/.test(text)) found.push('the words PRIVATE KEY');
    this.fingerprints.forEach((piece, i) => {
      if (text.includes(piece)) found.push(`the base64 body of key #${i}`);
    });
    if (depth >= 2) return found;
    for (const match of text.matchAll(B64_ASSIGNMENT)) {
      const decoded = decodeBase64(match[2] ?? match[3] ?? match[4] ?? '');
      if (depth === 0) {
        this.decodedAssignments += 1;
        this.decodedSamples.push(decoded);
      }
      found.push(...this.findings(decoded, depth + 1).map((f) => `${f}, base64-encoded in ${match[1]}`));
    }
    for (const [run] of text.matchAll(BASE64_RUN)) {
      found.push(...this.findings(decodeBase64(run), depth + 1).map((f) => `${f}, base64-encoded`));
    }
    return [...new Set(found)];
  }

  /** Every finding in `texts`, each labelled with where it was. */
  scan(texts: ReadonlyArray<readonly [where: string, text: string]>): string[] {
    return texts.flatMap(([where, text]) => this.findings(text).map((f) => `${where}: ${f}`));
  }
}

/** Every private key (PEM) kept under `dir`: the secret store's JSON pairs and member bundles, key files. */
function privateKeysUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const keys = new Set<string>();
  const strings = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : value !== null && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) return readdirSync(path).forEach((entry) => walk(join(path, entry)));
    const text = readFileSync(path, 'utf8');
    let values = [text];
    try {
      values = strings(JSON.parse(text));
    } catch {
      // not JSON: a bundle or a key file
    }
    for (const value of values) for (const [pem] of value.matchAll(PRIVATE_KEY_PEM)) keys.add(pem);
  };
  walk(dir);
  return [...keys];
}

interface SentCommand {
  readonly title: string;
  readonly hosts: string;
  readonly text: string;
  answers?: string;
}

function recordingRunner(inner: HostRunner, sent: SentCommand[]): HostRunner {
  return {
    async run(hosts, command) {
      const record: SentCommand = { title: command.title, hosts: hosts.map((h) => h.name).join(','), text: command.text };
      sent.push(record);
      const results = await inner.run(hosts, command);
      record.answers = JSON.stringify(results);
      return results;
    },
  };
}

function recordingLogger(inner: Logger, lines: string[]): Logger {
  return {
    info(message, fields) {
      lines.push(`info ${message} ${JSON.stringify(fields ?? {})}`);
      inner.info(message, fields);
    },
    warn(message, fields) {
      lines.push(`warn ${message} ${JSON.stringify(fields ?? {})}`);
      inner.warn(message, fields);
    },
  };
}

const ETCD = etcdUnderTest();

describe('the key detector (self-check: it finds a key wherever one is planted)', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const detector = new KeyDetector([pem]);
  const cleanCommand = "#!/bin/bash\nexport ETCD_ENV_B64='" + b64('ETCD_NAME=infra0\nETCD_DATA_DIR=/var/lib/etcd\n') + "'\nexport MEMBER_SECRET_ID='etcd-ha/demo/member/infra0'\n";

  const planted: Array<[string, string, RegExp]> = [
    ['PEM in a command', `${cleanCommand}cat > /etc/kubernetes/pki/etcd/server.key <<'EOF'\n${pem}EOF\n`, /^the words PRIVATE KEY$/],
    ['PEM inside a *_B64 command input', `export ETCD_ENV_B64='${b64(`ETCD_NAME=infra0\n${pem}`)}'\n`, /PRIVATE KEY, base64-encoded in ETCD_ENV_B64/],
    ['PEM inside double-quoted and unquoted *_B64 inputs', `export A_B64="${b64(pem)}" B_B64=${b64(pem)}`, /base64-encoded in B_B64/],
    ['PEM JSON-escaped in a state output', JSON.stringify({ pki: { keyPem: pem } }), /^the words PRIVATE KEY$/],
    ['a bare base64 body (no PEM armour) in a state input', JSON.stringify({ key: body }), /^the base64 body of key #0$/],
    ['base64 of a JSON pair in a log line', `info pki written ${JSON.stringify({ secret: b64(JSON.stringify({ keyPem: pem })) })}`, /^the words PRIVATE KEY, base64-encoded$/],
    ['base64 of base64 of the PEM', `value=${b64(b64(pem))}`, /^the words PRIVATE KEY, base64-encoded, base64-encoded$/],
  ];
  for (const [name, text, expected] of planted) {
    it(`finds ${name}`, () => {
      const found = new KeyDetector([pem]).findings(text);
      assert.ok(found.some((f) => expected.test(f)), `${expected} in ${JSON.stringify(found)}`);
    });
  }

  it('finds nothing in clean text, while still decoding its *_B64 inputs', () => {
    assert.deepEqual(detector.findings(cleanCommand), []);
    assert.equal(detector.decodedAssignments, 1);
    assert.match(detector.decodedSamples[0]!, /^ETCD_NAME=infra0$/m);
  });
});

describe(`a full local provisioning leaks no private key (in-process, 127.0.0.151-.153) on ${ETCD.label}`, () => {
  const sandbox = new LocalWorkflowSandbox('127.0.0.151');
  after(() => sandbox.cleanUp());

  it('no key in any state input or output, command sent to a host, host answer, or log line', async () => {
    const sent: SentCommand[] = [];
    const logLines: string[] = [];
    const base = sandbox.deps((runner) => recordingRunner(runner, sent));
    const deps = { ...base, log: recordingLogger(base.log, logLines) };

    const { result } = await sandbox.provision(threeMembers('leaks'), { deps });
    assert.equal(result.status, 'SUCCEEDED', result.cause);

    // The cluster has keys that could leak: the CA, both clients, each member's server and peer.
    const keys = privateKeysUnder(sandbox.home.secretsDir);
    assert.equal(keys.length, 1 + 2 + 3 * 2, 'every private key of the cluster, from the secret store');
    const detector = new KeyDetector(keys);

    // What was recorded is the real traffic, not an empty list.
    assert.ok(result.events.length >= 40, `${result.events.length} workflow events`);
    assert.ok(result.events.some((e) => e.state === 'Generate PKI' && e.kind === 'succeeded'), 'the PKI step ran');
    assert.deepEqual([...new Set(sent.map((c) => c.title))].sort(), ['Push Certificates', 'Push Revocation List', 'Start Etcd', 'Write Etcd Config']);
    assert.equal(sent.length, 12, '4 host steps on 3 hosts (the CRL is public: it travels in its command)');
    assert.ok(logLines.length > 0, 'log lines recorded');

    const texts: Array<[string, string]> = [
      ...result.events.map((e, i): [string, string] => [`event ${i} (${e.kind} ${e.state}${e.index !== undefined ? ` #${e.index}` : ''})`, JSON.stringify([e.input, e.output, e.error, e.cause])]),
      ['the execution output', JSON.stringify(result.output)],
      ...sent.map((c): [string, string] => [`command "${c.title}" to ${c.hosts}`, c.text]),
      ...sent.map((c): [string, string] => [`answer to "${c.title}" from ${c.hosts}`, c.answers ?? '']),
      ...logLines.map((line, i): [string, string] => [`log line ${i}`, line]),
      ['the step log file', readFileSync(sandbox.home.stepLog, 'utf8')],
    ];
    assert.deepEqual(detector.scan(texts), []);
    assert.ok(detector.decodedAssignments >= 6, `decoded ${detector.decodedAssignments} *_B64 inputs (ETCD_ENV_B64 and ETCD_UNIT_B64 per host)`);
    assert.ok(detector.decodedSamples.some((text) => /^ETCD_NAME=infra1$/m.test(text)), 'the decoded inputs are the rendered etcd settings');

    // The same detector does see these keys: plant one of them in a real command's *_B64 input.
    const realKey = keys.at(-1)!;
    const realCommand = sent.find((c) => c.title === 'Write Etcd Config')!.text;
    const withKey = realCommand.replace(/ETCD_ENV_B64='([^']*)'/, (_, value: string) => `ETCD_ENV_B64='${Buffer.from(decodeBase64(value) + realKey, 'latin1').toString('base64')}'`);
    assert.notEqual(withKey, realCommand);
    assert.notDeepEqual(detector.findings(withKey), [], 'a planted real key is found');
  });
});

describe(`the local CLI prints no private key (local up, status, env on 127.0.0.155-.157) on ${ETCD.label}`, () => {
  const sandbox = new LocalCliSandbox('127.0.0.155');
  after(() => sandbox.cleanUp());

  it('no key in anything local up, local status, local status --json or local env print', () => {
    const runs = [['local', 'up'], ['local', 'status'], ['local', 'status', '--json'], ['local', 'env']].map((args) => {
      const run = sandbox.run(args);
      assert.equal(run.status, 0, `${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
      return { args: args.join(' '), ...run };
    });
    assert.match(runs[0]!.stdout, /Cluster "local" is healthy: 3 members/);
    assert.match(runs[3]!.stdout, /ETCDCTL_KEY=\S+healthcheck-client\.key/, 'local env names the key file, nothing more');

    const keys = privateKeysUnder(join(sandbox.home, 'secrets'));
    assert.equal(keys.length, 9, 'every private key of the local cluster');
    const clientKey = readFileSync(join(sandbox.home, 'client', 'healthcheck-client.key'), 'utf8');
    const detector = new KeyDetector([...keys, clientKey]);
    const texts = runs.flatMap((run): Array<[string, string]> => [
      [`etcd-ha ${run.args} (stdout)`, run.stdout],
      [`etcd-ha ${run.args} (stderr)`, run.stderr],
    ]);
    assert.deepEqual(detector.scan(texts), []);
    assert.notDeepEqual(detector.findings(`${runs[3]!.stdout}\n${clientKey}`), [], 'the key the CLI wrote for etcdctl would be found');

    const down = sandbox.run(['local', 'down']);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(detector.findings(down.stdout + down.stderr), []);
  });
});
