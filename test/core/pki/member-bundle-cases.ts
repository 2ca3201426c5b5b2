// Bundles that both readers of a member secret must refuse: decodeMemberBundle (TypeScript) and the awk
// unpacker of host-scripts/fetch-member-pki.sh. Shared so that the two cannot drift apart.
import { MEMBER_BUNDLE_END, MEMBER_BUNDLE_HEADER } from '../../../lambdas/core/pki/member-bundle';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN RSA PRIVATE KEY-----\nSECRET-KEY-BODY\n-----END RSA PRIVATE KEY-----\n';

/** A bundle with the given file lines and bodies, header and END line included unless told otherwise. */
export function bundleText(files: ReadonlyArray<readonly [string, string]>, options: { end?: boolean; header?: string } = {}): string {
  return [
    `${options.header ?? MEMBER_BUNDLE_HEADER}\n`,
    ...files.map(([line, body]) => `${line}\n${body}`),
    options.end === false ? '' : `${MEMBER_BUNDLE_END}\n`,
  ].join('');
}

export const VALID_FILES: ReadonlyArray<readonly [string, string]> = [
  ['=== etcd/ca.crt 0644', CERT],
  ['=== etcd/server.key 0600', KEY],
];

export interface RefusedCase {
  readonly title: string;
  readonly text: string;
  /** What decodeMemberBundle's message says. */
  readonly message: RegExp;
  /** The error is a CaKeyInBundleError (not a format error). */
  readonly caKey?: boolean;
}

export const REFUSED_BUNDLES: readonly RefusedCase[] = [
  { title: 'an absolute path', text: bundleText([['=== /etc/kubernetes/pki/x.crt 0644', CERT]]), message: /must be relative/ },
  { title: 'a ".." path', text: bundleText([['=== ../x.crt 0644', CERT]]), message: /must be relative/ },
  { title: 'a ".." component inside', text: bundleText([['=== etcd/../../x.crt 0644', CERT]]), message: /must be relative/ },
  { title: 'a "." component', text: bundleText([['=== ./x.crt 0644', CERT]]), message: /must be relative/ },
  { title: 'a character outside [A-Za-z0-9._/-]', text: bundleText([['=== etcd/x$y.crt 0644', CERT]]), message: /must be relative/ },
  { title: 'an empty path component', text: bundleText([['=== etcd//x.crt 0644', CERT]]), message: /must be relative/ },
  { title: 'a path with a space (four fields)', text: bundleText([['=== etcd/x y.crt 0644', CERT]]), message: /expected "=== <path> <mode>"/ },
  { title: 'a file line without a mode', text: bundleText([['=== etcd/x.crt', CERT]]), message: /expected "=== <path> <mode>"/ },
  { title: 'mode 0755', text: bundleText([['=== etcd/x.crt 0755', CERT]]), message: /mode 0755 must be 0600 or 0644/ },
  { title: 'mode without the leading 0', text: bundleText([['=== etcd/x.crt 644', CERT]]), message: /mode 644 must be 0600 or 0644/ },
  { title: 'the etcd CA key', text: bundleText([...VALID_FILES, ['=== etcd/ca.key 0600', KEY]]), message: /CA private key/, caKey: true },
  { title: 'another CA key', text: bundleText([['=== front-proxy-ca.key 0600', KEY]]), message: /CA private key/, caKey: true },
  { title: 'a private key in a 0644 file', text: bundleText([['=== etcd/server.key 0644', KEY]]), message: /mode must be 0600/ },
  { title: 'a file listed twice', text: bundleText([...VALID_FILES, ['=== etcd/ca.crt 0644', CERT]]), message: /listed twice/ },
  { title: 'no END line (truncated)', text: bundleText(VALID_FILES, { end: false }), message: /incomplete/ },
  {
    title: 'a value cut in the middle of a key',
    text: bundleText(VALID_FILES).slice(0, bundleText(VALID_FILES).indexOf('SECRET-KEY-BODY') + 6),
    message: /incomplete/,
  },
  { title: 'text after the END line', text: `${bundleText(VALID_FILES)}=== etcd/x.crt 0644\n${CERT}`, message: /after the === END line/ },
  { title: 'no files', text: bundleText([]), message: /no files/ },
  { title: 'text before the first file', text: bundleText(VALID_FILES, { header: 'hello' }), message: /only comment lines/ },
  { title: 'an empty value', text: '', message: /incomplete/ },
];
