// Shared by the host-script tests: run a real script through buildHostCommand with bash, give each test a
// simulated host root, and record calls of stand-ins for systemctl/kubeadm (which cannot run here).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildHostCommand, type HostScriptName } from '../../lambdas/host-scripts';
import { DEFAULT_ETCD_BINARY_PATH } from '../../lambdas/core/spec';

export const HOST_SCRIPTS_DIR = join(__dirname, '../../lambdas/host-scripts');
export const SERVICE_CTL = join(__dirname, '../../lambdas/adapters/local/service-ctl.sh');
export const READ_SECRET = join(__dirname, '../../lambdas/adapters/local/read-secret.sh');
export const WRITE_SECRET = join(__dirname, '../../lambdas/adapters/local/write-secret.sh');
export const LOCAL_KUBELET = join(__dirname, '../../lambdas/adapters/local/local-kubelet.sh');
export const FIXTURES = join(__dirname, '../fixtures');

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one script, or several in order in one command, as a host would; `path` replaces PATH. */
export function runHostScript(
  script: HostScriptName | readonly HostScriptName[],
  env: Record<string, string>,
  path = process.env.PATH ?? '/usr/bin:/bin',
): RunResult {
  const result = spawnSync('bash', ['-c', buildHostCommand(script, env)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: path },
    // stdin /dev/null: Node's pipes are socketpairs, and bash reads ~/.bashrc when stdin is a socket
    // (as under sshd): a host script must not depend on whoever runs the tests.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The etcd on the PATH (ETCD_BIN_DIR's when set: see test/support/etcd-under-test.ts), as an absolute path. */
export function etcdOnPath(): string {
  const found = spawnSync('bash', ['-c', 'command -v etcd'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } }).stdout.trim();
  if (!found.startsWith('/')) throw new Error('no etcd on the PATH');
  return found;
}

/**
 * Installs etcd on a simulated host the way local mode ships it: a symlink at `path` below `root` (the unit's
 * ExecStart; the spec's default binaryPath unless given) to `target` (the etcd on the PATH unless given).
 */
export function shipEtcd(root: string, path = DEFAULT_ETCD_BINARY_PATH, target = etcdOnPath()): string {
  const at = join(root, path);
  mkdirSync(dirname(at), { recursive: true });
  if (!existsSync(at)) symlinkSync(target, at);
  return at;
}

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `etcd-ha-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Permission bits as an octal string, e.g. "600". */
export function modeOf(path: string): string {
  return (statSync(path).mode & 0o7777).toString(8);
}

/** Lines of stdout that report an install ("changed PATH" / "unchanged PATH"). */
export function installLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^(changed|unchanged) /.test(line));
}

/**
 * A stand-in command (for systemctl or kubeadm) that appends its argv to `<dir>/<name>.calls` and exits 0;
 * `is-active` exits with the number in `<dir>/<name>.active` (default 0 = active); the verb in
 * `<dir>/<name>.fail` (setFailing) fails with exit 1.
 */
export class FakeCommand {
  readonly path: string;
  private readonly callsFile: string;
  private readonly activeFile: string;
  private readonly failFile: string;

  constructor(dir: string, name: string) {
    this.path = join(dir, name);
    this.callsFile = join(dir, `${name}.calls`);
    this.activeFile = join(dir, `${name}.active`);
    this.failFile = join(dir, `${name}.fail`);
    writeFileSync(
      this.path,
      [
        '#!/usr/bin/env bash',
        `printf '%s\\n' "$*" >>'${this.callsFile}'`,
        'if [[ "${1:-}" == is-active ]]; then',
        `  exit "$(cat '${this.activeFile}' 2>/dev/null || echo 0)"`,
        'fi',
        `if [[ -f '${this.failFile}' && "\${1:-}" == "$(cat '${this.failFile}')" ]]; then`,
        `  echo "${name} $1 failed (stand-in)" >&2`,
        '  exit 1',
        'fi',
        '',
      ].join('\n'),
    );
    chmodSync(this.path, 0o755);
  }

  /** Makes `verb` (e.g. "restart") fail from now on; undefined: nothing fails. */
  setFailing(verb: string | undefined): void {
    if (verb === undefined) rmSync(this.failFile, { force: true });
    else writeFileSync(this.failFile, verb);
  }

  /** What `is-active` answers from now on. */
  setActive(active: boolean): void {
    writeFileSync(this.activeFile, active ? '0' : '3');
  }

  calls(): string[] {
    if (!existsSync(this.callsFile)) return [];
    return readFileSync(this.callsFile, 'utf8').split('\n').filter(Boolean);
  }

  reset(): void {
    rmSync(this.callsFile, { force: true });
    rmSync(this.failFile, { force: true });
  }
}
