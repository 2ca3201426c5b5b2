// HostRunner on one machine: runs the command text with `bash -c` once per host, in parallel, each with
// the host's root dir as ETCD_HA_ROOT and service-ctl.sh standing in for systemctl. The environment is
// built from scratch: nothing of this process's environment but PATH reaches a host script.
// Like an image would, it ships etcd on each simulated host: <root>/usr/local/bin/etcd (the spec's default
// binaryPath, which the unit's ExecStart names) is a symlink to this machine's etcd unless something is there.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, lstatSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { HostCommandRejectedError, HostCommandTimeoutError, HostUnreachableError } from '../../core/errors';
import { DEFAULT_ETCD_BINARY_PATH } from '../../core/spec';
import type { Host, HostCommand, HostRunResult, HostRunner } from '../../ports';

export interface LocalHostRunnerProps {
  /** systemctl stand-in (ETCD_HA_SERVICE_CTL): localScriptsPaths().serviceCtl. */
  readonly serviceCtl: string;
  /** Member secret fetch command (ETCD_HA_SECRET_FETCH), the secret id appended: localScriptsPaths().readSecret. */
  readonly secretFetch: string;
  /** Dir of the FileSecretStore that read-secret.sh reads and write-secret.sh writes (ETCD_HA_SECRET_DIR). */
  readonly secretDir: string;
  /**
   * AdoptCluster's upload put command (ETCD_HA_SECRET_PUT), the secret id and a file appended; it writes only into a
   * slot granted to the host's root.
   * @default - localScriptsPaths().writeSecret
   */
  readonly secretPut?: string;
  /**
   * kubelet's stand-in (ETCD_HA_STATIC_POD_SYNC): runs the etcd a host's static pod manifest describes, after a host
   * script changed the manifest.
   * @default - localScriptsPaths().localKubelet
   */
  readonly staticPodSync?: string;
  /**
   * ConnectControlPlane: kubelet's stand-in for the kube-apiserver static pod (ETCD_HA_APISERVER_SYNC), which restarts
   * the stand-in API server of a simulated control-plane host after a host script changed its manifest.
   * @default - localScriptsPaths().localApiServerKubelet
   */
  readonly apiServerSync?: string;
  /**
   * The etcd each simulated host gets at the spec's default binaryPath (/usr/local/bin/etcd below its root), as a
   * symlink made before a command runs there; a file or link already there is never replaced. A spec naming
   * another binaryPath runs whatever is found at that path below the host root (service-ctl.sh starts what the
   * unit's ExecStart names).
   * @default - the etcd on the PATH; none is shipped when there is none
   */
  readonly etcdBinary?: string;
  /**
   * How much of the end of stdout and of stderr a result keeps.
   * @default 4096 bytes
   */
  readonly tailBytes?: number;
}

/** The local scripts the runner's composition root hands to it (absolute paths). */
export function localScriptsPaths(): {
  readonly serviceCtl: string;
  readonly readSecret: string;
  readonly writeSecret: string;
  readonly localKubelet: string;
  readonly localApiServerKubelet: string;
} {
  return {
    serviceCtl: join(__dirname, 'service-ctl.sh'),
    readSecret: join(__dirname, 'read-secret.sh'),
    writeSecret: join(__dirname, 'write-secret.sh'),
    localKubelet: join(__dirname, 'local-kubelet.sh'),
    localApiServerKubelet: join(__dirname, 'local-apiserver-kubelet.sh'),
  };
}

/** After SIGTERM on timeout, how long before SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** Keeps the last `limit` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks);
    if (bytes.length > this.limit) bytes = bytes.subarray(bytes.length - this.limit);
    // Do not start in the middle of a UTF-8 character.
    let start = 0;
    while (start < bytes.length && start < 4 && (bytes[start]! & 0xc0) === 0x80) start += 1;
    return bytes.subarray(start).toString('utf8');
  }
}

export class LocalHostRunner implements HostRunner {
  private readonly props: LocalHostRunnerProps;
  private readonly tailBytes: number;

  constructor(props: LocalHostRunnerProps) {
    for (const key of ['serviceCtl', 'secretFetch', 'secretDir'] as const) {
      if (!props[key]?.startsWith('/')) throw new RangeError(`${key} must be an absolute path, got "${props[key]}"`);
    }
    for (const key of ['secretPut', 'staticPodSync', 'apiServerSync'] as const) {
      if (props[key] !== undefined && !props[key].startsWith('/')) throw new RangeError(`${key} must be an absolute path, got "${props[key]}"`);
    }
    if (props.etcdBinary !== undefined && !props.etcdBinary.startsWith('/')) {
      throw new RangeError(`etcdBinary must be an absolute path, got "${props.etcdBinary}"`);
    }
    this.props = props;
    this.tailBytes = props.tailBytes ?? 4096;
    if (!(Number.isInteger(this.tailBytes) && this.tailBytes > 0)) {
      throw new RangeError(`tailBytes must be a positive integer, got ${this.tailBytes}`);
    }
  }

  /**
   * Runs `command` on every host at once and waits for all of them. A non-zero exit is returned, not thrown.
   * @throws HostUnreachableError (before running anything) when a host has no root or its root dir is missing.
   * @throws HostCommandTimeoutError when a host does not finish within command.timeoutSeconds (its bash and
   *   everything in its process group are killed; etcd, started in a session of its own, is not).
   * @throws HostCommandRejectedError for a timeout that is not a positive number.
   */
  async run(hosts: readonly Host[], command: HostCommand): Promise<HostRunResult[]> {
    if (!(Number.isFinite(command.timeoutSeconds) && command.timeoutSeconds > 0)) {
      throw new HostCommandRejectedError(`${command.title}: timeoutSeconds must be a positive number, got ${command.timeoutSeconds}`);
    }
    for (const host of hosts) {
      if (host.root === undefined || host.root === '') {
        throw new HostUnreachableError(`${command.title}: host ${host.name} (${host.address}) has no root dir: not a local host`);
      }
      if (!existsSync(host.root) || !statSync(host.root).isDirectory()) {
        throw new HostUnreachableError(`${command.title}: the root dir ${host.root} of host ${host.name} (${host.address}) is missing`);
      }
    }
    for (const host of hosts) this.shipEtcd(host, command.title);
    const settled = await Promise.allSettled(hosts.map((host) => this.runOne(host, host.root!, command)));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<HostRunResult>).value);
  }

  /** Makes <root>/usr/local/bin/etcd a symlink to the machine's etcd, unless anything (even a dangling link) is there. */
  private shipEtcd(host: Host, title: string): void {
    const at = join(host.root!, DEFAULT_ETCD_BINARY_PATH);
    if (lstatSync(at, { throwIfNoEntry: false }) !== undefined) return;
    const target = this.props.etcdBinary ?? etcdOnPath();
    if (target === undefined) return;
    try {
      mkdirSync(dirname(at), { recursive: true, mode: 0o755 });
      symlinkSync(target, at);
    } catch (error) {
      // Another command on the same host may have shipped it meanwhile.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw new HostUnreachableError(`${title}: cannot install etcd on host ${host.name} (${host.address}) at ${at}: ${(error as Error).message}`, { cause: error });
    }
  }

  private runOne(host: Host, root: string, command: HostCommand): Promise<HostRunResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: this.props.serviceCtl,
      ETCD_HA_SECRET_FETCH: this.props.secretFetch,
      ETCD_HA_SECRET_DIR: this.props.secretDir,
      ETCD_HA_SECRET_PUT: this.props.secretPut ?? localScriptsPaths().writeSecret,
      ETCD_HA_STATIC_POD_SYNC: this.props.staticPodSync ?? localScriptsPaths().localKubelet,
      ETCD_HA_APISERVER_SYNC: this.props.apiServerSync ?? localScriptsPaths().localApiServerKubelet,
      // A staged snapshot is the backup file itself locally (DirSnapshotHandoff): the host copies it below its root.
      ETCD_HA_SNAPSHOT_FETCH: 'cp --',
    };
    return new Promise((resolvePromise, reject) => {
      const stdout = new Tail(this.tailBytes);
      const stderr = new Tail(this.tailBytes);
      // detached: bash leads its own process group, so that a timeout kills its children as well.
      const child = spawn('bash', ['-c', command.text], { env, cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let timedOut = false;
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => {
          killGroup('SIGKILL');
          // A process that left the group may still hold the pipes open: stop waiting for them.
          child.stdout.destroy();
          child.stderr.destroy();
        }, KILL_GRACE_MS);
      }, command.timeoutSeconds * 1000);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        reject(new HostUnreachableError(`${command.title}: cannot run bash for host ${host.name}: ${error.message}`, { cause: error }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        if (timedOut) {
          // Whatever the group left behind after SIGTERM goes too.
          killGroup('SIGKILL');
          const tail = stderr.text().trim();
          reject(
            new HostCommandTimeoutError(
              `${command.title}: host ${host.name} (${host.address}) did not finish within ${command.timeoutSeconds} s${tail ? `; stderr (tail):\n${tail}` : ''}`,
            ),
          );
          return;
        }
        const exitCode = code ?? 128 + signalNumber(signal);
        resolvePromise({ host: host.name, exitCode, stdoutTail: stdout.text(), stderrTail: stderr.text() });
      });
    });
  }
}

/** The first executable etcd on this process's PATH, or undefined. */
function etcdOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir.startsWith('/')) continue;
    const candidate = join(dir, 'etcd');
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
