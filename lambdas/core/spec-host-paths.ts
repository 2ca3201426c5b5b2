// Paths a spec names on a member's host, where the host scripts run as root: the data dir (chmod 0700, moved
// aside on a wipe) and the etcd binary (started by the unit). The rules are lexical: they judge the path as
// written, so a path must be written plainly (no ".", ".." or empty segments) for the judgement to hold.

/** Why `path` is not written plainly, or undefined. */
export function unplainPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (path !== '/' && path.endsWith('/')) return 'must not end with "/"';
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '..')) return 'must not contain ".." segments';
  if (segments.some((s) => s === '.')) return 'must not contain "." segments';
  if (path !== '/' && segments.some((s) => s === '')) return 'must not contain "//"';
  return undefined;
}

/**
 * Whether `path` lies strictly below `dir`, segment by segment: `/usr/local/bin/etcd` is below `/usr/local/bin`,
 * `/usr/local/bin-evil/etcd` is not. Both must be plain (unplainPathProblem); `dir` "/" holds every other path.
 */
export function isBelow(path: string, dir: string): boolean {
  const prefix = dir === '/' ? '/' : `${dir}/`;
  return path.length > prefix.length && path.startsWith(prefix);
}

/** Directories of the system and of its users: none of them, or what holds them, is a data dir. */
const SYSTEM_DIRECTORIES = ['/', '/var', '/var/lib', '/home', '/root', '/opt', '/srv', '/mnt', '/media', '/snap'];

/** Trees that belong to the system (config, programs, kernel, runtime state, logs, scratch): no data dir inside. */
const SYSTEM_TREES = [
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/boot',
  '/dev',
  '/proc',
  '/sys',
  '/run',
  '/tmp',
  '/var/tmp',
  '/var/run',
  '/var/log',
  '/var/cache',
  '/var/spool',
  '/var/mail',
  // Other services' state on a member host: moving it aside (wipeDataDir) would break them.
  '/var/lib/kubelet',
  '/var/lib/containerd',
  '/var/lib/docker',
  '/var/lib/dpkg',
  '/var/lib/apt',
  '/var/lib/rpm',
  '/var/lib/systemd',
  '/var/lib/amazon',
  '/var/lib/cloud',
];

/**
 * Why `path` is not a dedicated directory for etcd's data, or undefined. The host scripts make it 0700 and may
 * move it aside, so it must be a directory of its own: not a system directory, not inside a system tree, not a
 * home (`/home/<user>`) and not hidden (`.ssh`, `.kube`: what lives there is not etcd's).
 */
export function dedicatedDirectoryProblem(path: string): string | undefined {
  const unplain = unplainPathProblem(path);
  if (unplain) return unplain;
  if (SYSTEM_DIRECTORIES.includes(path)) return `is a system directory ("${path}"); give etcd a directory of its own such as /var/lib/etcd`;
  const tree = SYSTEM_TREES.find((t) => path === t || isBelow(path, t));
  if (tree) return `lies in ${tree}, which belongs to the system; give etcd a directory of its own such as /var/lib/etcd`;
  if (/^\/home\/[^/]+$/.test(path)) return `is a home directory ("${path}"); give etcd a directory of its own such as /var/lib/etcd`;
  if (path.split('/').some((s) => s.startsWith('.'))) return 'must not contain hidden segments (".name"); give etcd a directory of its own such as /var/lib/etcd';
  return undefined;
}
