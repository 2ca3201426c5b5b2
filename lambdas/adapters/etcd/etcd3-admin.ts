// EtcdAdmin over mTLS with the etcd3 npm client. One Etcd3 client per endpoint, so that a status answer
// comes from the member asked (a multi-host client picks a host at random). No hidden retries: cockatiel
// `noop` policies replace etcd3's default retry and circuit breaker, and every call is bounded in time,
// so a dead member costs one timeout and the workflow's Wait loop decides when to ask again.
import { Etcd3, type IMember, type IStatusResponse } from 'etcd3';
import { noop } from 'cockatiel';
import { EtcdHaError, EtcdMemberChangeRefusedError, EtcdNotReadyError, EtcdUnavailableError } from '../../core/errors';
import { hexId } from '../../core/health';
import type { ClusterMember, ClusterView, EtcdAdmin, EtcdAdminFactory, EtcdClientCredentials, InspectOptions, MemberStatus } from '../../ports';

export interface Etcd3AdminOptions {
  /**
   * Bound on each read (status, member list, alarms), connecting included.
   * @default 2000
   */
  readonly callTimeoutMs?: number;
  /**
   * Bound on each membership change; it goes through raft, so it gets longer than a read.
   * @default 5000
   */
  readonly changeTimeoutMs?: number;
}

/** Messages in which etcd says "not now" rather than "no". */
const NOT_READY =
  /can only promote a learner member which is in sync with leader|unhealthy cluster|no leader|leader changed|request timed out|too many requests|not capable/;
/**
 * "Already added", in the two ways etcd says it. etcd derives a new member's ID from its peer URLs and the
 * time in seconds, so a repeated add within the same second hits the ID check before the peer URL check.
 */
const ALREADY_ADDED = /Peer URLs already exists|member ID already exist/;
const MEMBER_NOT_FOUND = /member not found/;
/** Exactly this message (the in-sync one extends it): the member is not a learner, i.e. already promoted. */
const NOT_A_LEARNER = /can only promote a learner member$/;

/** An error etcd itself sent (as opposed to a connection that failed or timed out). */
class EtcdAnswer extends Error {}

class CallTimeout extends Error {}

export class Etcd3AdminFactory implements EtcdAdminFactory {
  constructor(private readonly options: Etcd3AdminOptions = {}) {}

  connect(credentials: EtcdClientCredentials): EtcdAdmin {
    return new Etcd3Admin(credentials, this.options);
  }
}

export class Etcd3Admin implements EtcdAdmin {
  // ES private fields: util.inspect and JSON.stringify show neither the clients nor what built them.
  readonly #clients = new Map<string, Etcd3>();
  readonly #newClient: (endpoint: string) => Etcd3;
  private readonly callTimeoutMs: number;
  private readonly changeTimeoutMs: number;
  private closed = false;

  constructor(credentials: EtcdClientCredentials, options: Etcd3AdminOptions = {}) {
    this.callTimeoutMs = options.callTimeoutMs ?? 2000;
    this.changeTimeoutMs = options.changeTimeoutMs ?? 5000;
    const callTimeoutMs = this.callTimeoutMs;
    // The key stays inside this closure: nothing on the instance prints or serialises it.
    const tls = {
      rootCertificate: Buffer.from(credentials.caCertPem),
      certChain: Buffer.from(credentials.certPem),
      privateKey: Buffer.from(credentials.keyPem),
    };
    this.#newClient = (endpoint) =>
      new Etcd3({
        hosts: [endpoint],
        credentials: tls,
        // etcd3 1.1.2 declares dialTimeout but never reads it; the call deadline below is what bounds a dial.
        dialTimeout: callTimeoutMs,
        defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
        faultHandling: { global: noop, host: () => noop },
      });
  }

  async inspect(endpoints: readonly string[], options: InspectOptions = {}): Promise<ClusterView> {
    const statuses = await Promise.all(endpoints.map((endpoint) => this.status(endpoint)));
    // Ask the members that just answered first; a dead one would only cost another timeout.
    const order = [...statuses.filter((s) => s.ok), ...statuses.filter((s) => !s.ok)].map((s) => s.endpoint);
    for (const endpoint of order) {
      const client = this.client(endpoint);
      // Linearizable: etcd 3.5 answers only with quorum; 3.4 ignores the flag and answers from the member asked.
      const list = this.bounded(this.callTimeoutMs, client.cluster.memberList({ linearizable: true }));
      // Asked together, but a failed alarm list (it goes through raft) must not hide a member list that came.
      if (options.alarms === false) {
        try {
          return { statuses, members: (await list).members.map(toClusterMember), alarms: [], alarmsUnknown: 'not asked' };
        } catch {
          continue;
        }
      }
      const alarms = this.bounded(this.callTimeoutMs, client.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' })).then(
        (answer) => ({ ok: true as const, answer }),
        (error: unknown) => ({ ok: false as const, error: messageOf(error) }),
      );
      let members: ClusterMember[];
      try {
        members = (await list).members.map(toClusterMember);
      } catch {
        continue; // the next endpoint may answer; an empty member list tells the verdict that none did
      }
      const alarm = await alarms;
      if (!alarm.ok) return { statuses, members, alarms: [], alarmsUnknown: `${endpoint}: ${alarm.error}` };
      // etcd3's bundled proto spells the alarms "Nospace", "Corrupt"; etcd and etcdctl say NOSPACE, CORRUPT.
      return { statuses, members, alarms: alarm.answer.alarms.map((a) => `${String(a.alarm).toUpperCase()} (member ${hexId(a.memberID)})`) };
    }
    return { statuses, members: [], alarms: [] };
  }

  async memberAdd(endpoints: readonly string[], peerUrl: string, isLearner: boolean) {
    try {
      const added = await this.change(endpoints, `add ${peerUrl}`, (c, options) => c.cluster.memberAdd({ peerURLs: [peerUrl], isLearner }, options));
      return { member: toClusterMember(added.member), members: added.members.map(toClusterMember), added: true };
    } catch (error) {
      // An add is never about an existing member, yet etcd 3.5 answered one "member not found" right after the same
      // peer URL's learner had been removed (seen once in replace-converge): "not now", retried; a retry that finds
      // the member added after all returns it (ALREADY_ADDED).
      if (error instanceof EtcdAnswer && MEMBER_NOT_FOUND.test(error.message)) {
        throw new EtcdNotReadyError(`member add ${peerUrl}: ${error.message}`, { cause: error });
      }
      if (!(error instanceof EtcdAnswer && ALREADY_ADDED.test(error.message))) throw classify(`member add ${peerUrl}`, error);
      const members = await this.memberList(endpoints);
      const member = members.find((m) => m.peerURLs.includes(peerUrl));
      if (!member) throw classify(`member add ${peerUrl}`, error);
      return { member, members, added: false };
    }
  }

  async memberRemove(endpoints: readonly string[], id: string) {
    try {
      const removed = await this.change(endpoints, `remove ${hexId(id)}`, (c, options) => c.cluster.memberRemove({ ID: id }, options));
      return { members: removed.members.map(toClusterMember), removed: true };
    } catch (error) {
      if (!(error instanceof EtcdAnswer && MEMBER_NOT_FOUND.test(error.message))) throw classify(`member remove ${hexId(id)}`, error);
      const members = await this.memberList(endpoints);
      if (members.some((m) => m.id === id)) throw classify(`member remove ${hexId(id)}`, error);
      return { members, removed: false };
    }
  }

  async memberPromote(endpoints: readonly string[], id: string) {
    try {
      const promoted = await this.change(endpoints, `promote ${hexId(id)}`, (c, options) => c.cluster.memberPromote({ ID: id }, options));
      return { members: promoted.members.map(toClusterMember), promoted: true };
    } catch (error) {
      if (!(error instanceof EtcdAnswer && NOT_A_LEARNER.test(error.message))) throw classify(`member promote ${hexId(id)}`, error);
      const members = await this.memberList(endpoints);
      if (!members.some((m) => m.id === id && !m.isLearner)) throw classify(`member promote ${hexId(id)}`, error);
      return { members, promoted: false };
    }
  }

  async memberUpdate(endpoints: readonly string[], id: string, peerUrls: readonly string[]) {
    const before = await this.memberList(endpoints);
    const member = before.find((m) => m.id === id);
    if (member === undefined) throw new EtcdMemberChangeRefusedError(`member update ${hexId(id)}: no such member`);
    if ([...member.peerURLs].sort().join(',') === [...peerUrls].sort().join(',')) return { members: before, updated: false };
    try {
      await this.change(endpoints, `update ${hexId(id)}`, (c, options) => c.cluster.memberUpdate({ ID: id, peerURLs: [...peerUrls] }, options));
    } catch (error) {
      throw classify(`member update ${hexId(id)}`, error);
    }
    return { members: await this.memberList(endpoints), updated: true };
  }

  async moveLeader(leaderEndpoint: string, targetId: string): Promise<void> {
    const status = await this.status(leaderEndpoint);
    if (status.ok && status.leaderId === targetId) return;
    try {
      await this.firstAnswer([leaderEndpoint], `move leader to ${hexId(targetId)}`, this.changeTimeoutMs, (c, options) => c.maintenance.moveLeader({ targetID: targetId }, options));
    } catch (error) {
      throw classify(`move leader to ${hexId(targetId)}`, error);
    }
  }

  /**
   * Each member is asked its status first (bounded): a dead or stopped one is passed over at once, and the
   * status of the member the snapshot comes from describes it. Its revision is the one when the stream was
   * about to open: writes in between may make the snapshot's own (`etcdutl snapshot status`) larger.
   * etcd3 opens a snapshot stream lazily: a dead member fails the stream, not the call. So the first chunk
   * is awaited (bounded) before the sink sees anything, and a stream that fails or stalls later, inside the
   * sink, also moves on to the next endpoint; the sink then starts again from the beginning (stores
   * overwrite). A failure of the sink itself (the store) is not the member's and ends the search.
   */
  async snapshot(
    endpoints: readonly string[],
    sink: (chunks: AsyncIterable<Uint8Array>) => Promise<void>,
  ): Promise<{ endpoint: string; status: MemberStatus; keyCount?: number }> {
    const failures: string[] = [];
    for (const endpoint of endpoints) {
      const status = await this.status(endpoint);
      if (!status.ok) {
        failures.push(`${endpoint}: ${status.error}`);
        continue;
      }
      const keyCount = await this.keyCountAt(endpoint, status.revision);
      const health: StreamHealth = {};
      let stream: SnapshotStream | undefined;
      let chunks: AsyncGenerator<Uint8Array>;
      let first: IteratorResult<Uint8Array>;
      try {
        stream = await this.bounded(this.callTimeoutMs, this.client(endpoint).maintenance.snapshot());
        chunks = snapshotChunks(stream, health, SNAPSHOT_IDLE_CALLS * this.callTimeoutMs);
        first = await this.bounded(this.callTimeoutMs, chunks.next());
      } catch (error) {
        stream?.cancel?.();
        failures.push(`${endpoint}: ${messageOf(error)}`);
        continue;
      }
      try {
        await sink(prepend(first, chunks));
        return { endpoint, status, ...(keyCount !== undefined && { keyCount }) };
      } catch (error) {
        stream.cancel?.();
        if (health.failure === undefined) throw error;
        failures.push(`${endpoint}: ${messageOf(health.failure)}`);
      }
    }
    throw new EtcdUnavailableError(`snapshot: no endpoint answered (${failures.join('; ') || 'no endpoints given'})`);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  private client(endpoint: string): Etcd3 {
    if (this.closed) throw new EtcdHaError('this EtcdAdmin is closed');
    let client = this.#clients.get(endpoint);
    if (!client) {
      client = this.#newClient(endpoint);
      this.#clients.set(endpoint, client);
    }
    return client;
  }

  /**
   * The keys at `revision` on that member (a serializable count-only range: member-local, no quorum), which a restore
   * drill compares with; undefined when it cannot tell (no revision, the call failed): a backup does not fail for it.
   */
  private async keyCountAt(endpoint: string, revision: number | undefined): Promise<number | undefined> {
    if (revision === undefined) return undefined;
    try {
      return await this.bounded(this.callTimeoutMs, this.client(endpoint).getAll().serializable(true).revision(revision).count());
    } catch {
      return undefined;
    }
  }

  private async status(endpoint: string): Promise<MemberStatus> {
    try {
      return toMemberStatus(endpoint, await this.bounded(this.callTimeoutMs, this.client(endpoint).maintenance.status()));
    } catch (error) {
      return { endpoint, ok: false, error: messageOf(error) };
    }
  }

  private async memberList(endpoints: readonly string[]): Promise<ClusterMember[]> {
    try {
      const list = await this.firstAnswer(endpoints, 'member list', this.callTimeoutMs, (c, options) => c.cluster.memberList({ linearizable: true }, options));
      return list.members.map(toClusterMember);
    } catch (error) {
      throw classify('member list', error);
    }
  }

  private change<T>(endpoints: readonly string[], what: string, call: (client: Etcd3, options: { deadline: number }) => Promise<T>): Promise<T> {
    return this.firstAnswer(endpoints, `member ${what}`, this.changeTimeoutMs, call);
  }

  /**
   * The answer of the first endpoint that gives one. A failed or slow connection moves on to the next
   * endpoint; an error etcd itself sends ends the search as an EtcdAnswer.
   */
  private async firstAnswer<T>(
    endpoints: readonly string[],
    what: string,
    timeoutMs: number,
    call: (client: Etcd3, options: { deadline: number }) => Promise<T>,
  ): Promise<T> {
    const failures: string[] = [];
    for (const endpoint of endpoints) {
      try {
        return await this.bounded(timeoutMs, call(this.client(endpoint), { deadline: Date.now() + timeoutMs }));
      } catch (error) {
        const message = messageOf(error);
        if (!(error instanceof CallTimeout) && message.includes('etcdserver:')) throw new EtcdAnswer(message);
        failures.push(`${endpoint}: ${message}`);
      }
    }
    throw new EtcdUnavailableError(`${what}: no endpoint answered (${failures.join('; ') || 'no endpoints given'})`);
  }

  /** Resolves with `promise` or rejects after `ms`: a member that accepts the connection and then hangs cannot stall us. */
  private async bounded<T>(ms: number, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallTimeout(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function classify(what: string, error: unknown): Error {
  if (!(error instanceof EtcdAnswer)) return error instanceof Error ? error : new EtcdHaError(`${what}: ${String(error)}`);
  if (NOT_READY.test(error.message)) return new EtcdNotReadyError(`${what}: ${error.message}`, { cause: error });
  return new EtcdMemberChangeRefusedError(`${what}: ${error.message}`, { cause: error });
}

/** The error's message, without grpc-js's trailing empty "Resolution note:". */
function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\.?\s*Resolution note:\s*$/, '').trim();
}

function toClusterMember(m: IMember): ClusterMember {
  return { id: m.ID, name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs], isLearner: m.isLearner };
}

function toMemberStatus(endpoint: string, s: IStatusResponse): MemberStatus {
  return {
    endpoint,
    ok: true,
    memberId: s.header.member_id,
    clusterId: s.header.cluster_id,
    leaderId: s.leader,
    // 64-bit integers as decimal strings; revisions, raft indexes and sizes stay far below 2^53.
    revision: Number(s.header.revision),
    raftIndex: Number(s.raftIndex),
    raftAppliedIndex: Number(s.raftAppliedIndex),
    dbSize: Number(s.dbSize),
    isLearner: s.isLearner,
    version: s.version,
  };
}

/** A snapshot stream that stays silent this many read timeouts has stalled (e.g. a stopped member). */
const SNAPSHOT_IDLE_CALLS = 5;

interface SnapshotStream {
  on(event: 'data', fn: (item: { blob: Uint8Array }) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  cancel?(): void;
}

/** Set once the stream failed or stalled: tells the member's failure apart from the sink's. */
interface StreamHealth {
  failure?: Error;
}

/** etcd3's snapshot stream (an emitter of { blob } messages) as an async iterator of chunks. */
async function* snapshotChunks(stream: SnapshotStream, health: StreamHealth, idleMs: number): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let done = false;
  let wake: (() => void) | undefined;
  const notify = () => wake?.();
  stream.on('data', (item) => {
    queue.push(item.blob);
    notify();
  });
  stream.on('end', () => {
    done = true;
    notify();
  });
  stream.on('error', (err) => {
    health.failure ??= err;
    notify();
  });
  for (;;) {
    if (queue.length > 0) {
      yield queue.shift()!;
      continue;
    }
    if (health.failure) throw new EtcdUnavailableError(`snapshot stream failed: ${messageOf(health.failure)}`, { cause: health.failure });
    if (done) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(() => {
        health.failure ??= new Error(`snapshot stream stalled: no data for ${idleMs} ms`);
        resolve();
      }, idleMs);
    });
    clearTimeout(timer);
    wake = undefined;
  }
}

/** The chunk already read, then the rest of the stream. */
async function* prepend(first: IteratorResult<Uint8Array>, rest: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}
