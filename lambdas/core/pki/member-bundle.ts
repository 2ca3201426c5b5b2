// The text of a member's PKI secret: what a host fetches itself (with its own credentials) and
// unpacks with awk (host-scripts/fetch-member-pki.sh). Readable in the console:
//
//   # etcd-ha member PKI bundle, format 1: files for /etc/kubernetes/pki, each after a "=== <path> <mode>" line
//   === etcd/ca.crt 0644
//   -----BEGIN CERTIFICATE-----
//   ...
//   === etcd/server.key 0600
//   ...
//   === END
//
// The closing "=== END" line lets a reader tell a complete bundle from a truncated one, and lets it
// ignore the line break the aws CLI's text output adds after the value. fetch-member-pki.sh applies the
// same rules as decodeMemberBundle: change both together.
import { PkiError, CaKeyInBundleError } from '../errors';
import type { HostFile } from './bundle';

/** The secret's text is not a member bundle, or a file in it breaks a rule (path, mode, content). */
export class MemberBundleFormatError extends PkiError {}

export const MEMBER_BUNDLE_HEADER =
  '# etcd-ha member PKI bundle, format 1: files for /etc/kubernetes/pki, each after a "=== <path> <mode>" line';
export const MEMBER_BUNDLE_END = '=== END';
/** Secrets Manager's limit for a secret value. */
export const MEMBER_BUNDLE_MAX_BYTES = 65_536;

const FILE_LINE = /^=== (\S+) (\S+)$/;
const PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
/** ca.key, etcd/ca.key, front-proxy-ca.key, ...: hosts never hold a CA key (same rule as install-pki.sh). */
const CA_KEY_NAME = /(^|\/)([^/]*-)?ca\.key$/;
const MODES: ReadonlyMap<string, number> = new Map([
  ['0600', 0o600],
  ['0644', 0o644],
]);
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

/** Problems with one file's path, mode and content; shared by encode and decode. */
function fileProblems(path: string, mode: string, content?: string): string[] {
  if (!PATH.test(path) || path.split('/').some((part) => part === '.' || part === '..')) {
    return [`path "${path}" must be relative, without "." or ".." components, of letters, digits, ".", "_", "-" and "/"`];
  }
  const problems: string[] = [];
  if (!MODES.has(mode)) problems.push(`${path}: mode ${mode} must be 0600 or 0644`);
  if (content !== undefined && mode !== '0600' && PRIVATE_KEY.test(content)) {
    problems.push(`${path}: holds a private key, so its mode must be 0600, not ${mode}`);
  }
  return problems;
}

function refuseCaKey(path: string): void {
  if (CA_KEY_NAME.test(path)) {
    throw new CaKeyInBundleError(`member bundle file ${path} is a CA private key; hosts never hold a CA key`);
  }
}

/**
 * The member secret's text for `files` (from memberHostFiles).
 * @throws CaKeyInBundleError for a CA key file; MemberBundleFormatError for a bad path, mode, duplicate,
 *   content holding a "=== " line or lacking its final line break, or a bundle over 64 KiB.
 */
export function encodeMemberBundle(files: readonly HostFile[]): string {
  if (files.length === 0) throw new MemberBundleFormatError('a member bundle needs at least one file');
  const seen = new Set<string>();
  const parts = [`${MEMBER_BUNDLE_HEADER}\n`];
  for (const file of files) {
    refuseCaKey(file.path);
    const problems = fileProblems(file.path, octal(file.mode), file.content);
    if (seen.has(file.path)) problems.push(`${file.path}: listed twice`);
    if (file.content !== '' && !file.content.endsWith('\n')) problems.push(`${file.path}: content must end with a line break`);
    if (/^===/m.test(file.content)) problems.push(`${file.path}: content must not hold a line starting with "==="`);
    if (problems.length > 0) throw new MemberBundleFormatError(`cannot encode the member bundle: ${problems.join('; ')}`);
    seen.add(file.path);
    parts.push(`=== ${file.path} ${octal(file.mode)}\n`, file.content);
  }
  parts.push(`${MEMBER_BUNDLE_END}\n`);
  const text = parts.join('');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MEMBER_BUNDLE_MAX_BYTES) {
    throw new MemberBundleFormatError(`the member bundle is ${bytes} bytes; a secret value holds at most ${MEMBER_BUNDLE_MAX_BYTES}`);
  }
  return text;
}

/**
 * The files of a member secret's text. Comment lines ("#") may precede the first file; blank lines may
 * follow the END line. Never echoes file content in its errors.
 * @param options.allowCaKey AdoptCluster's upload (same format) carries the CA key on its way to the CA secret.
 * @throws CaKeyInBundleError for a CA key file (unless allowed); MemberBundleFormatError for anything else out of place.
 */
export function decodeMemberBundle(text: string, options: { readonly allowCaKey?: boolean } = {}): HostFile[] {
  const lines = text.split('\n');
  // A final line break leaves one empty element: not a line of its own.
  if (lines[lines.length - 1] === '') lines.pop();
  const files: { path: string; mode: number; lines: string[] }[] = [];
  let ended = false;
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    if (ended) {
      if (raw.replace(/\r$/, '') !== '') throw new MemberBundleFormatError(`line ${lineNo}: text after the ${MEMBER_BUNDLE_END} line`);
      continue;
    }
    if (raw.startsWith('===')) {
      const line = raw.replace(/\r$/, '');
      if (line === MEMBER_BUNDLE_END) {
        ended = true;
        continue;
      }
      const match = FILE_LINE.exec(line);
      if (!match) throw new MemberBundleFormatError(`line ${lineNo}: expected "=== <path> <mode>" or "${MEMBER_BUNDLE_END}"`);
      const [, path = '', mode = ''] = match;
      const problems = fileProblems(path, mode);
      if (problems.length > 0) throw new MemberBundleFormatError(`line ${lineNo}: ${problems.join('; ')}`);
      if (!options.allowCaKey) refuseCaKey(path);
      if (files.some((file) => file.path === path)) throw new MemberBundleFormatError(`line ${lineNo}: ${path} is listed twice`);
      files.push({ path, mode: MODES.get(mode) ?? 0o600, lines: [] });
      continue;
    }
    const current = files[files.length - 1];
    if (current === undefined) {
      if (raw.startsWith('#') || raw.replace(/\r$/, '') === '') continue;
      throw new MemberBundleFormatError(`line ${lineNo}: only comment lines may come before the first "=== <path> <mode>" line`);
    }
    current.lines.push(raw);
  }
  if (!ended) throw new MemberBundleFormatError(`no ${MEMBER_BUNDLE_END} line: the bundle is incomplete (truncated?)`);
  if (files.length === 0) throw new MemberBundleFormatError('the bundle holds no files');
  return files.map(({ path, mode, lines: body }) => {
    const content = body.map((line) => `${line}\n`).join('');
    if (mode !== 0o600 && PRIVATE_KEY.test(content)) {
      throw new MemberBundleFormatError(`${path}: holds a private key, so its mode must be 0600, not ${octal(mode)}`);
    }
    return { path, mode, content };
  });
}
