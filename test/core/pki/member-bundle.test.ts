// The member secret's text: what the PKI step writes and what a host unpacks (the awk of
// fetch-member-pki.sh follows the same rules: see member-bundle-cases.ts and its test).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memberHostFiles, type HostFile, type MemberPki } from '../../../lambdas/core/pki/bundle';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate } from '../../../lambdas/core/pki/issue';
import {
  decodeMemberBundle,
  encodeMemberBundle,
  MEMBER_BUNDLE_END,
  MEMBER_BUNDLE_HEADER,
  MemberBundleFormatError,
} from '../../../lambdas/core/pki/member-bundle';
import { CaKeyInBundleError, PkiError } from '../../../lambdas/core/errors';
import { NOW, sampleSpec } from './support';
import { bundleText, REFUSED_BUNDLES, VALID_FILES } from './member-bundle-cases';

const spec = sampleSpec();
const infra0 = spec.members[0]!;
const options = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', options);
const member: MemberPki = {
  server: issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, infra0), ca, options),
  peer: issueCertificate(ETCD_PEER, resolveSubject(ETCD_PEER, spec, infra0), ca, options),
};
const files = memberHostFiles(ca.certPem, member);

describe('encodeMemberBundle', () => {
  const text = encodeMemberBundle(files);

  it('writes the header comment, a "=== <path> <mode>" line before each file, and the END line', () => {
    const lines = text.split('\n');
    assert.equal(lines[0], MEMBER_BUNDLE_HEADER);
    assert.ok(MEMBER_BUNDLE_HEADER.startsWith('# '));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('===')),
      [
        '=== etcd/ca.crt 0644',
        '=== etcd/server.crt 0644',
        '=== etcd/server.key 0600',
        '=== etcd/peer.crt 0644',
        '=== etcd/peer.key 0600',
        MEMBER_BUNDLE_END,
      ],
    );
    assert.ok(text.endsWith(`${MEMBER_BUNDLE_END}\n`));
    assert.ok(text.includes(`=== etcd/server.key 0600\n${member.server.keyPem}`), 'content follows its line verbatim');
  });

  it('never holds the CA key', () => {
    assert.ok(!text.includes(ca.keyPem.trim()));
  });

  it('round-trips through decodeMemberBundle byte for byte, CRLF content included', () => {
    assert.deepEqual(decodeMemberBundle(text), files);
    const crlf = files.map((f) => ({ ...f, content: f.content.replace(/\n/g, '\r\n') }));
    assert.deepEqual(decodeMemberBundle(encodeMemberBundle(crlf)), crlf);
  });

  it('refuses a CA key by name', () => {
    assert.throws(() => encodeMemberBundle([...files, { path: 'etcd/ca.key', mode: 0o600, content: ca.keyPem }]), CaKeyInBundleError);
  });

  const bad: ReadonlyArray<readonly [string, HostFile[], RegExp]> = [
    ['no files', [], /at least one file/],
    ['an absolute path', [{ path: '/etc/x.crt', mode: 0o644, content: 'x\n' }], /must be relative/],
    ['a ".." path', [{ path: 'etcd/../x.crt', mode: 0o644, content: 'x\n' }], /must be relative/],
    ['a space in a path', [{ path: 'etcd/a b.crt', mode: 0o644, content: 'x\n' }], /must be relative/],
    ['mode 0755', [{ path: 'x.crt', mode: 0o755, content: 'x\n' }], /mode 0755 must be 0600 or 0644/],
    ['a key readable by all', [{ path: 'etcd/server.key', mode: 0o644, content: member.server.keyPem }], /mode must be 0600/],
    ['a duplicate', [files[0]!, files[0]!], /listed twice/],
    ['content without a final line break', [{ path: 'x.crt', mode: 0o644, content: 'x' }], /end with a line break/],
    ['content with a "===" line', [{ path: 'x.crt', mode: 0o644, content: 'a\n=== END\n' }], /line starting with "==="/],
    ['more than 64 KiB', [{ path: 'x.crt', mode: 0o644, content: `${'x'.repeat(70_000)}\n` }], /at most 65536/],
  ];
  for (const [title, input, message] of bad) {
    it(`refuses ${title}`, () => {
      assert.throws(() => encodeMemberBundle(input), (error: unknown) => {
        assert.ok(error instanceof MemberBundleFormatError, String(error));
        assert.ok(error instanceof PkiError);
        assert.equal(error.name, 'MemberBundleFormatError');
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('keeps an empty file', () => {
    const input = [{ path: 'empty', mode: 0o600, content: '' }, ...files];
    assert.deepEqual(decodeMemberBundle(encodeMemberBundle(input)), input);
  });
});

describe('decodeMemberBundle', () => {
  it('reads a bundle written by hand: comments and blank lines before the first file', () => {
    const text = bundleText(VALID_FILES, { header: '# hand-made\n\n# another comment' });
    assert.deepEqual(
      decodeMemberBundle(text).map((f) => [f.path, f.mode.toString(8)]),
      [
        ['etcd/ca.crt', '644'],
        ['etcd/server.key', '600'],
      ],
    );
  });

  it('ignores the line break the aws CLI adds after the value, and blank lines after END', () => {
    const text = encodeMemberBundle(files);
    assert.deepEqual(decodeMemberBundle(`${text}\n`), files);
    assert.deepEqual(decodeMemberBundle(`${text}\n\n`), files);
    assert.deepEqual(decodeMemberBundle(text.slice(0, -1)), files, 'no final line break at all');
  });

  it('accepts CRLF on the file and END lines (edited on another system)', () => {
    const text = encodeMemberBundle(files).replace(/^(===[^\n]*)\n/gm, '$1\r\n');
    assert.deepEqual(decodeMemberBundle(text), files);
  });

  for (const { title, text, message, caKey } of REFUSED_BUNDLES) {
    it(`refuses ${title}`, () => {
      assert.throws(() => decodeMemberBundle(text), (error: unknown) => {
        assert.ok(error instanceof (caKey ? CaKeyInBundleError : MemberBundleFormatError), `${String(error)}`);
        assert.match((error as Error).message, message);
        assert.ok(!(error as Error).message.includes('SECRET-KEY-BODY'), 'never echoes content');
        return true;
      });
    });
  }
});
