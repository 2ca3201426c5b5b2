// install-crl.sh on a simulated host root: the CRL lands where etcd's CRL flags point, 0644, only when it changed;
// anything but one whole PEM CRL is refused with nothing installed.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, modeOf, removeDir, runHostScript, tempDir } from './helpers';

const CRL = '-----BEGIN X509 CRL-----\nMIIBiTBzAgEBMA0GCSqGSIb3DQEBCwUAMBIxEDAOBgNVBAMTB2V0Y2QtY2E=\n-----END X509 CRL-----\n';

describe('install-crl.sh', () => {
  const work = tempDir('crl');
  const root = join(work, 'root');
  const file = join(root, 'etc/kubernetes/pki/etcd/crl.pem');
  after(() => removeDir(work));
  beforeEach(() => removeDir(root));
  const run = (pem: string) => runHostScript('install-crl', { CRL_PEM_B64: b64(pem), ETCD_HA_ROOT: root });

  test('installs the CRL 0644 next to the CA certificate; a re-run with the same list changes nothing', () => {
    const first = run(CRL);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(readFileSync(file, 'utf8'), CRL);
    assert.equal(modeOf(file), '644');
    assert.match(first.stdout, /revocation list installed/);
    const again = run(CRL);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already up to date, nothing changed/);
  });

  for (const [what, pem, message] of [
    ['a certificate', CRL.replace(/X509 CRL/g, 'CERTIFICATE'), /must hold a PEM CRL starting with -----BEGIN X509 CRL-----/],
    ["@peculiar/x509's own label, which etcd reads as DER", CRL.replace(/X509 CRL/g, 'CRL'), /must hold a PEM CRL/],
    ['a truncated list', CRL.split('\n').slice(0, 2).join('\n'), /must hold one whole PEM CRL/],
    ['two blocks', CRL + CRL, /exactly one PEM block/],
  ] as const) {
    test(`refuses ${what}, installing nothing`, () => {
      const out = run(pem);
      assert.equal(out.status, 1);
      assert.match(out.stderr, message);
      assert.equal(existsSync(file), false);
    });
  }
});
