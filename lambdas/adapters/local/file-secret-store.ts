// SecretStore on one machine: each secret is a 0600 file under a 0700 directory tree, at
// <dir>/<name> (e.g. <dir>/etcd-ha/demo/member/infra0). The local hosts read their member secret through
// read-secret.sh, the stand-in for the aws CLI call a real host makes.
//
// Only files in our own shape are read or written, as on AWS (lambdas/core/secret-ownership.ts): what stands in
// for "the stack's KMS key" is the owner (this user, who alone can create files in the 0700 tree), for "no
// resource policy" the mode (no group or other bits: nobody else may read it or swap it), and a plain file, not
// a symlink to elsewhere. The same holds for each directory on the way (owner, not writable by others). A file
// that fails is refused with ForeignSecretError, never adopted nor re-chmodded: who else read it cannot be known.
// Tags have no local meaning: the path already names the cluster.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ForeignSecretError, SpecValidationError } from '../../core/errors';
import type { SecretDeletion, SecretPutOptions, SecretRef, SecretStore } from '../../ports';

export interface FileSecretStoreProps {
  /** Directory of the store; created 0700 on the first put. */
  readonly dir: string;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** A secret name as the store accepts it: relative segments of [A-Za-z0-9._-], none "." or "..". */
function checkName(name: string, what = 'secret name'): void {
  const segments = name.split('/');
  if (name === '' || !segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    throw new SpecValidationError(what, [
      `"${name}" must be "/"-separated segments of letters, digits, ".", "_" and "-" (no empty, "." or ".." segment)`,
    ]);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** lstat, or undefined when there is nothing at `path`. */
function lstatIfAny(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Why the file or dir at `path` (its lstat `stats`) is not ours: another owner, a symlink or other type, or bits for others in its mode. */
function ownershipProblems(path: string, stats: Stats, kind: 'file' | 'dir', othersMask: number): string[] {
  const problems: string[] = [];
  const isKind = kind === 'file' ? stats.isFile() : stats.isDirectory();
  if (stats.isSymbolicLink() || !isKind) problems.push(`${path} is not a plain ${kind === 'file' ? 'file' : 'directory'} (a symlink or another kind of file)`);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) problems.push(`${path} is owned by uid ${stats.uid}, not by this user (uid ${uid})`);
  if ((stats.mode & othersMask) !== 0) {
    problems.push(kind === 'file'
      ? `${path} has mode ${octal(stats.mode)}: group or others may read or change it (expected 0600)`
      : `directory ${path} has mode ${octal(stats.mode)}: group or others may add or swap files in it`);
  }
  return problems;
}

export class FileSecretStore implements SecretStore, SecretDeletion {
  private readonly dir: string;

  constructor(props: FileSecretStoreProps) {
    if (!isAbsolute(props.dir)) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
    this.dir = resolve(props.dir);
  }

  nameFor(clusterName: string, item: string): string {
    checkName(clusterName, 'cluster name');
    checkName(item, 'secret item');
    return `etcd-ha/${clusterName}/${item}`;
  }

  /** The file holding secret `name`; also its id. */
  pathOf(name: string): string {
    checkName(name);
    return join(this.dir, name);
  }

  /** The value, or undefined when there is no such secret; ForeignSecretError when its file is not ours. */
  async get(name: string): Promise<string | undefined> {
    if (!this.checkOwned(name)) return undefined;
    try {
      return readFileSync(this.pathOf(name), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Writes (atomically, 0600) only when the value differs; description and tags have no local meaning.
   * @throws ForeignSecretError when the file (or a directory on its way) is not ours: nothing is written
   */
  async put(name: string, value: string, _options: SecretPutOptions): Promise<SecretRef> {
    const path = this.pathOf(name);
    const current = await this.get(name);
    if (current === value) return { name, id: path, changed: false };
    this.ensureDirs(name.split('/').slice(0, -1));
    const tmp = join(dirname(path), `.${name.split('/').pop()}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      // 'wx': a fresh file, created 0600 so that the value is never readable by others, not even briefly.
      writeFileSync(tmp, value, { mode: FILE_MODE, flag: 'wx' });
      chmodSync(tmp, FILE_MODE);
      renameSync(tmp, path);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
    return { name, id: path, changed: true };
  }

  /**
   * Whether secret `name` exists, once its file and each existing directory from the store dir down to it are
   * ours: owned by this user, plain, and closed to group and others (file) or not writable by them (dirs).
   * @throws ForeignSecretError naming the secret and every problem
   */
  private checkOwned(name: string): boolean {
    const segments = this.pathOf(name).slice(this.dir.length + 1).split('/');
    const problems: string[] = [];
    let path = this.dir;
    let exists = true;
    for (const [i, segment] of [undefined, ...segments].entries()) {
      if (segment !== undefined) path = join(path, segment);
      const stats = lstatIfAny(path);
      if (stats === undefined) {
        exists = false;
        break;
      }
      const isFile = i === segments.length;
      problems.push(...ownershipProblems(path, stats, isFile ? 'file' : 'dir', isFile ? 0o077 : 0o022));
    }
    if (problems.length > 0) throw new ForeignSecretError(name, problems);
    return exists;
  }

  /** DeleteCluster: every secret file below `etcd-ha/<cluster>/`, as secret names. */
  async secretsOf(clusterName: string): Promise<string[]> {
    const prefix = this.nameFor(clusterName, 'x').slice(0, -'x'.length);
    const walk = (name: string): string[] => {
      const path = join(this.dir, name);
      if (!existsSync(path)) return [];
      if (!statSync(path).isDirectory()) return [name];
      return readdirSync(path).filter((entry) => !entry.startsWith('.')).flatMap((entry) => walk(`${name}/${entry}`));
    };
    return walk(prefix.slice(0, -1)).sort();
  }

  /** DeleteCluster: removes the file; the empty dirs of the cluster go with its last secret. */
  async deleteNow(name: string): Promise<{ deleted: boolean }> {
    const path = this.pathOf(name);
    if (!existsSync(path)) return { deleted: false };
    rmSync(path);
    return { deleted: true };
  }

  /** Creates the store dir and the dirs of `segments` below it, each 0700. */
  private ensureDirs(segments: readonly string[]): void {
    mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    chmodSync(this.dir, DIR_MODE);
    let path = this.dir;
    for (const segment of segments) {
      path = join(path, segment);
      try {
        mkdirSync(path, { mode: DIR_MODE });
        chmodSync(path, DIR_MODE);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
}
