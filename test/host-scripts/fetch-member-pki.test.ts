// fetch-member-pki.sh + install-pki.sh in one command: the host fetches its own member secret (here through
// adapters/local/read-secret.sh, or a stand-in aws CLI), unpacks it with awk into a staging dir, installs it.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostCommand } from '../../lambdas/host-scripts';
import { memberHostFiles, type HostFile } from '../../lambdas/core/pki/bundle';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../lambdas/core/pki/cert-profiles';
import { issueCertificate } from '../../lambdas/core/pki/issue';
import { decodeMemberBundle, encodeMemberBundle } from '../../lambdas/core/pki/member-bundle';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { NOW, sampleSpec } from '../core/pki/support';
import { bundleText, REFUSED_BUNDLES, VALID_FILES } from '../core/pki/member-bundle-cases';
import { installLines, modeOf, READ_SECRET, removeDir, runHostScript, tempDir } from './helpers';

const SECRET = 'etcd-ha/demo/member/infra0';
const CHAIN = ['fetch-member-pki', 'install-pki'] as const;

function memberFiles(): HostFile[] {
  const spec = sampleSpec();
  const options = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
  const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', options);
  const infra0 = spec.members[0]!;
  return memberHostFiles(ca.certPem, {
    server: issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, infra0), ca, options),
    peer: issueCertificate(ETCD_PEER, resolveSubject(ETCD_PEER, spec, infra0), ca, options),
  });
}

describe('fetch-member-pki.sh followed by install-pki.sh', () => {
  const work = tempDir('fetch');
  const root = join(work, 'root');
  const secretDir = join(work, 'secrets');
  const store = new FileSecretStore({ dir: secretDir });
  const pki = join(root, 'etc/kubernetes/pki');
  const stagingParent = join(root, 'run/etcd-ha');
  let files: HostFile[];
  after(() => removeDir(work));

  before(() => {
    files = memberFiles();
  });

  beforeEach(() => removeDir(root));

  const localEnv = (id = SECRET) => ({
    MEMBER_SECRET_ID: id,
    ETCD_HA_ROOT: root,
    ETCD_HA_SECRET_FETCH: READ_SECRET,
    ETCD_HA_SECRET_DIR: secretDir,
  });
  const stagingLeft = () => (existsSync(stagingParent) ? readdirSync(stagingParent).filter((n) => n.startsWith('pki-bundle.')) : []);
  const assertNoKeyInOutput = (out: { stdout: string; stderr: string }) => {
    for (const text of [out.stdout, out.stderr]) {
      assert.ok(!text.includes('PRIVATE KEY'), text);
      assert.ok(!text.includes('SECRET-KEY-BODY'), text);
    }
  };

  test('installs the member files (keys 0600, certs 0644) and leaves no staging dir; no key in the command or output', async () => {
    await store.put(SECRET, encodeMemberBundle(files), { description: 'test' });
    const text = buildHostCommand([...CHAIN], localEnv());
    assert.ok(!text.includes('PRIVATE KEY'), 'the command text holds no key material');
    const out = runHostScript([...CHAIN], localEnv());
    assert.equal(out.status, 0, out.stderr);
    for (const file of files) {
      assert.equal(readFileSync(join(pki, file.path), 'utf8'), file.content, file.path);
      assert.equal(modeOf(join(pki, file.path)), file.mode.toString(8), file.path);
    }
    assert.match(out.stdout, /fetched member secret etcd-ha\/demo\/member\/infra0: 5 files staged/);
    assert.match(out.stdout, /removed staging dir/);
    assert.deepEqual(stagingLeft(), []);
    assertNoKeyInOutput(out);

    const again = runHostScript([...CHAIN], localEnv());
    assert.equal(again.status, 0, again.stderr);
    assert.ok(installLines(again.stdout).every((l) => l.startsWith('unchanged ')), again.stdout);
    assert.deepEqual(stagingLeft(), []);
  });

  test('the awk unpacker reads what decodeMemberBundle reads: CRLF, an empty file, comments, a trailing blank line', async () => {
    const input: HostFile[] = [
      { path: 'etcd/ca.crt', mode: 0o644, content: 'line one\r\nline two\r\n' },
      { path: 'extra/empty.pub', mode: 0o644, content: '' },
      { path: 'etcd/server.key', mode: 0o600, content: '# not a comment here\n\n  indented $HOME `x` \\ end\n' },
    ];
    const text = `${encodeMemberBundle(input).replace('\n', '\n# a comment\n\n')}\n`;
    assert.deepEqual(decodeMemberBundle(text), input);
    await store.put(SECRET, text, { description: 'test' });
    const out = runHostScript([...CHAIN], localEnv());
    assert.equal(out.status, 0, out.stderr);
    for (const file of input) assert.equal(readFileSync(join(pki, file.path), 'utf8'), file.content, file.path);
  });

  test('the default fetch is the aws CLI, word-split, with SECRET_REGION as AWS_REGION; its newline is ignored', async () => {
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const bundleFile = join(work, 'bundle.txt');
    writeFileSync(bundleFile, encodeMemberBundle(files));
    const argsFile = join(work, 'aws.args');
    writeFileSync(
      join(bin, 'aws'),
      `#!/usr/bin/env bash\nprintf '%s|' "$@" >'${argsFile}'\necho "AWS_REGION=\${AWS_REGION:-}" >>'${argsFile}'\ncat '${bundleFile}'\necho\n`,
    );
    chmodSync(join(bin, 'aws'), 0o755);
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:etcd-ha/demo/member/infra0-AbCdEf';
    const out = runHostScript([...CHAIN], { MEMBER_SECRET_ID: arn, SECRET_REGION: 'eu-west-1', ETCD_HA_ROOT: root }, `${bin}:${process.env.PATH}`);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(
      readFileSync(argsFile, 'utf8'),
      `secretsmanager|get-secret-value|--query|SecretString|--output|text|--secret-id|${arn}|AWS_REGION=eu-west-1\n`,
    );
    assert.equal(readFileSync(join(pki, 'etcd/peer.key'), 'utf8'), files.find((f) => f.path === 'etcd/peer.key')!.content);
    assertNoKeyInOutput(out);
  });

  for (const { title, text, message } of REFUSED_BUNDLES) {
    test(`refuses a bundle with ${title}, as decodeMemberBundle does: nothing installed or staged, no content echoed`, async () => {
      await store.put(SECRET, text, { description: 'test' });
      const out = runHostScript([...CHAIN], localEnv());
      assert.equal(out.status, 1, out.stdout);
      assert.match(out.stderr, message);
      assert.match(out.stderr, /is not a valid member bundle; nothing was staged/);
      assert.equal(existsSync(pki), false, 'nothing may be installed');
      assert.deepEqual(stagingLeft(), []);
      assertNoKeyInOutput(out);
    });
  }

  test('a secret that cannot be fetched fails with the fetch error and leaves nothing behind', () => {
    const out = runHostScript([...CHAIN], localEnv('etcd-ha/demo/member/nobody'));
    assert.equal(out.status, 1);
    assert.match(out.stderr, /read-secret: secret etcd-ha\/demo\/member\/nobody not found/);
    assert.match(out.stderr, /cannot fetch the member secret etcd-ha\/demo\/member\/nobody/);
    assert.deepEqual(stagingLeft(), []);
    assert.equal(existsSync(pki), false);
  });

  test('the fetch command\'s error output is withheld when it mentions key material', () => {
    const noisy = join(work, 'noisy-fetch');
    writeFileSync(noisy, '#!/usr/bin/env bash\necho "-----BEGIN RSA PRIVATE KEY----- SECRET-KEY-BODY" >&2\nexit 3\n', { mode: 0o755 });
    const out = runHostScript([...CHAIN], { MEMBER_SECRET_ID: SECRET, ETCD_HA_ROOT: root, ETCD_HA_SECRET_FETCH: noisy });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /withheld/);
    assertNoKeyInOutput(out);
  });

  test('ETCD_HA_SECRET_FETCH is word-split: a command with arguments of its own', async () => {
    await store.put(SECRET, bundleText(VALID_FILES), { description: 'test' });
    const wrapper = join(work, 'fetch-with-args');
    writeFileSync(wrapper, `#!/usr/bin/env bash\n[[ "$1" == --from && "$2" == local ]] || exit 9\nshift 2\nexec '${READ_SECRET}' "$@"\n`, { mode: 0o755 });
    const out = runHostScript([...CHAIN], { ...localEnv(), ETCD_HA_SECRET_FETCH: `${wrapper} --from local` });
    assert.equal(out.status, 0, out.stderr);
    assert.ok(existsSync(join(pki, 'etcd/server.key')));
  });

  test('refuses a bad secret id or region before fetching anything', () => {
    const badId = runHostScript([...CHAIN], localEnv("x'; touch /tmp/pwned; '"));
    assert.equal(badId.status, 1);
    assert.match(badId.stderr, /MEMBER_SECRET_ID must be a secret name or ARN/);
    const badRegion = runHostScript([...CHAIN], { ...localEnv(), SECRET_REGION: 'EU WEST' });
    assert.equal(badRegion.status, 1);
    assert.match(badRegion.stderr, /SECRET_REGION must be a region/);
    assert.deepEqual(stagingLeft(), []);
  });

  test('run alone, fetch-member-pki cleans up its staging dir at exit (install-pki must follow in the same command)', async () => {
    await store.put(SECRET, bundleText(VALID_FILES), { description: 'test' });
    const out = runHostScript('fetch-member-pki', localEnv());
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(stagingLeft(), []);
  });
});
