// Shared by the PKI tests: the sample spec, a fixed clock, and openssl as an independent oracle
// (tests only: the product never runs openssl).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterSpec, type ClusterSpec, type ClusterSpecInput } from '../../../lambdas/core/spec';

/** Whole seconds, so the certificate's encoded times equal the expected ones exactly. */
export const NOW = new Date('2025-06-01T12:00:00Z');
export const DAY_MS = 24 * 60 * 60 * 1000;

export function sampleSpec(overrides: Partial<ClusterSpecInput> = {}): ClusterSpec {
  return parseClusterSpec({
    clusterName: 'demo',
    members: [
      { name: 'infra0', address: '10.0.0.6' },
      { name: 'infra1', address: '10.0.0.7' },
      { name: 'infra2', address: '10.0.0.8' },
    ],
    ...overrides,
  });
}

export function openssl(args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('openssl', args, { input, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `openssl x509 -noout -text` of a certificate PEM. */
export function opensslText(certPem: string): string {
  const out = openssl(['x509', '-noout', '-text'], certPem);
  if (out.status !== 0) throw new Error(`openssl x509 failed: ${out.stderr}`);
  return out.stdout;
}

/** The value line of an extension in openssl's text, and whether it is marked critical. */
export function opensslExtension(text: string, title: string): { critical: boolean; value: string } | undefined {
  const match = new RegExp(`${title}:( critical)?\\s*\\n\\s*(.*)\\n`).exec(text);
  return match ? { critical: match[1] !== undefined, value: match[2]!.trim() } : undefined;
}

/** `openssl verify -x509_strict` of `certPem` against `caPem`, at the time `at` (not the machine's clock). */
export function opensslVerify(caPem: string, certPem: string, at: Date, purpose?: 'sslserver' | 'sslclient') {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-pki-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), caPem);
    writeFileSync(join(dir, 'leaf.crt'), certPem);
    const args = ['verify', '-x509_strict', '-attime', String(Math.floor(at.getTime() / 1000)), '-CAfile', join(dir, 'ca.crt')];
    if (purpose) args.push('-purpose', purpose);
    return openssl([...args, join(dir, 'leaf.crt')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
