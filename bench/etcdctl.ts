// etcdctl (the Debian etcd-client package) against a cluster, with a client certificate from files:
// what the replacement floor runs, and how both sides of the replacement bench check the outcome.
import { execFile } from 'node:child_process';
import type { ClientFiles } from '../bin/cli/local-files';

export interface EtcdctlTarget {
  /** Client URLs etcdctl may talk to. */
  readonly endpoints: readonly string[];
  readonly client: ClientFiles;
}

export interface EtcdctlResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** One etcdctl call; resolves whatever its exit status (`ok`), rejects only if etcdctl cannot be run. */
export function etcdctl(target: EtcdctlTarget, args: readonly string[], timeoutMs = 10_000): Promise<EtcdctlResult> {
  const flags = [`--endpoints=${target.endpoints.join(',')}`, `--cacert=${target.client.cacert}`, `--cert=${target.client.cert}`, `--key=${target.client.key}`];
  return new Promise((resolve, reject) => {
    execFile('etcdctl', [...flags, ...args], { env: { PATH: process.env.PATH, ETCDCTL_API: '3' }, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') reject(error);
      else resolve({ ok: !error, stdout, stderr });
    });
  });
}

/** etcdctl that must succeed. */
export async function etcdctlOk(target: EtcdctlTarget, args: readonly string[]): Promise<string> {
  const run = await etcdctl(target, args);
  if (!run.ok) throw new Error(`etcdctl ${args.join(' ')} failed: ${run.stderr.trim() || run.stdout.trim()}`);
  return run.stdout;
}

export interface ListedMember {
  /** Hex, as etcdctl prints it. */
  readonly id: string;
  /** "started" or "unstarted". */
  readonly status: string;
  readonly name: string;
  readonly peerUrl: string;
  readonly clientUrl: string;
  readonly learner: boolean;
}

/** `etcdctl member list` (simple output: hex IDs; the JSON output's uint64 IDs do not fit a JS number). */
export async function memberList(target: EtcdctlTarget): Promise<ListedMember[]> {
  const stdout = await etcdctlOk(target, ['member', 'list']);
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', status = '', name = '', peerUrl = '', clientUrl = '', learner = ''] = line.split(', ');
      return { id, status, name, peerUrl, clientUrl, learner: learner === 'true' };
    });
}

/** The member IDs (hex) that answer `endpoint status` as the leader, and those that do not. */
export async function leadership(target: EtcdctlTarget): Promise<{ leader: string; followers: string[] }> {
  const stdout = await etcdctlOk(target, ['endpoint', 'status']);
  // endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors
  const rows = stdout.trim().split('\n').map((line) => line.split(', '));
  const leaders = rows.filter((r) => r[4] === 'true').map((r) => r[1]!);
  if (leaders.length !== 1) throw new Error(`expected one leader, etcdctl endpoint status says:\n${stdout}`);
  return { leader: leaders[0]!, followers: rows.filter((r) => r[4] !== 'true').map((r) => r[1]!) };
}

/**
 * After a replacement: `expected` voters, none of them a learner or unstarted, `gone` no longer a member
 * and `joined` one of them. Returns the list; throws, saying what is wrong, otherwise.
 */
export async function checkReplaced(target: EtcdctlTarget, expected: number, gone: string, joined: (m: ListedMember) => boolean): Promise<ListedMember[]> {
  const members = await memberList(target);
  const problems: string[] = [];
  const voters = members.filter((m) => !m.learner && m.status === 'started');
  if (voters.length !== expected || members.length !== expected) problems.push(`${voters.length} started voters of ${members.length} members, expected ${expected}`);
  if (members.some((m) => m.name === gone)) problems.push(`${gone} is still a member`);
  const newcomer = members.find(joined);
  if (!newcomer) problems.push('the new member is not in the member list');
  else if (newcomer.learner) problems.push(`the new member ${newcomer.name} is still a learner`);
  if (problems.length > 0) throw new Error(`replacement not complete: ${problems.join('; ')}\n${members.map((m) => Object.values(m).join(', ')).join('\n')}`);
  return members;
}
