// `npm run bench [-- --reps 3 --members 3,5,7 --measure up,replace --baseline DIR]`: how long `etcd-ha
// local up` takes next to the floor (the same etcd members started directly), how it scales from 3 to 7
// members, how many state transitions an execution costs, and what an idempotent re-run and `local down`
// cost; and how long `etcd-ha local kill` + `local replace` take to replace a dead member next to the same
// change done by hand with etcdctl (bench/replace.ts, bench/replace-floor.ts). Writes bench/results.json
// (gitignored) and prints the tables.
//
// --baseline DIR: another checkout of etcd-ha (with node_modules) whose CLI runs interleaved with this
// one's, rep by rep, so that a before/after comparison sees the same machine load (this machine is shared).
//
// Loopback addresses 127.0.0.81-.99 only (local up: members from .81 up, to .87 for 7; replacement:
// .88-.91 for the product, .92-.95 for its floor); every home is a temp dir (never ~/.etcd-ha). Every
// process started here is stopped by PID, also on failure or Ctrl-C: the floors' by their ProcessGroup,
// the CLI's by `local down` (local up runs) and by the PIDs its simulated hosts recorded.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PeerAddress } from '../lambdas/core/etcd-flags';
import { localEtcdBinary } from '../lambdas/local-runner/etcd-binaries';
import { CLI, LocalCliSandbox } from '../test/support/local-cli';
import { isRunning } from '../test/support/processes';
import { parseUpOutput, runCli, type UpBreakdown } from './cli';
import { longestBootstrapWaitMs } from './etcd-log';
import { FLOOR_POLL_MS, measureFloor, type FloorStrategy } from './floor';
import { measureReplace, SETTLE_MS } from './replace';
import { measureReplaceFloor } from './replace-floor';
import {
  GOAL_REPLACE_OVER_FLOOR,
  printReplaceReport,
  productSample,
  summarizeFloor,
  summarizeProduct,
  type FloorSample,
  type ProductSample,
} from './replace-report';
import { median, round, secs, table } from './stats';

// One etcd for the product and its floors alike: the one local mode starts (ETCD_BIN_DIR, else the
// project's 3.5, else the PATH's), first on the PATH for the floors' etcd and etcdctl.
const benchEtcd = localEtcdBinary();
if (benchEtcd !== undefined) {
  process.env.ETCD_BIN_DIR = dirname(benchEtcd);
  process.env.PATH = `${dirname(benchEtcd)}:${process.env.PATH ?? ''}`;
}

const FIRST_OCTET = 81;
const LAST_OCTET = 99;
const FIRST_ADDRESS = `127.0.0.${FIRST_OCTET}`;
/** Replacement: 3 members from here, the new member on the next address (`local replace` picks it so). */
const REPLACE_PRODUCT_OCTET = 88;
const REPLACE_FLOOR_OCTET = 92;
const REPLACE_MEMBERS = 3;
const MEASUREMENTS = ['up', 'replace'] as const;
const GOAL_UP_OVER_FLOOR = 1.5;
const GOAL_7_OVER_3 = 1.3;
const RESULTS = join(__dirname, 'results.json');
const FLOOR_STRATEGIES: readonly FloorStrategy[] = ['together', 'one-by-one'];

// gRPC sets the TLS server name to the member's IP; Node warns about it (DEP0123) on every connection
// of the floor's clients. Filtered as bin/etcd-ha.js filters it; the certificate is still checked.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
  if (code === 'DEP0123') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

type Variant = 'current' | 'baseline';
type RunKind = 'cli-start' | `floor:${FloorStrategy}` | 'up' | 'reup' | 'down';

interface Run {
  readonly kind: RunKind;
  /** Which checkout's CLI ran (CLI runs only). */
  readonly variant?: Variant;
  readonly members?: number;
  readonly rep: number;
  readonly ms: number;
  /** 1-minute load average when the run ended: this machine is shared, so keep an eye on it. */
  readonly load1: number;
  readonly transitions?: number;
  readonly healthChecks?: number;
  readonly states?: Readonly<Record<string, number>>;
  readonly slowestHost?: Readonly<Record<string, number>>;
  readonly polls?: number;
  /** etcd's own wait on its peers at start, longest member (floor and up runs; bench/etcd-log.ts). */
  readonly bootstrapWaitMs?: number;
}

/** What to stop if the bench is interrupted while something runs. */
const cleanups = new Set<() => Promise<void>>();

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      members: { type: 'string', default: '3,5,7' },
      measure: { type: 'string', default: MEASUREMENTS.join(',') },
      baseline: { type: 'string' },
    },
    strict: true,
  });
  const reps = Number(values.reps);
  const measure = values.measure!.split(',');
  for (const m of measure) if (!(MEASUREMENTS as readonly string[]).includes(m)) throw new Error(`--measure takes ${MEASUREMENTS.join(' and/or ')}, got "${m}"`);
  const sizes = measure.includes('up') ? values.members!.split(',').map(Number) : [];
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a whole number ≥ 1, got "${values.reps}"`);
  for (const n of sizes) {
    if (![3, 5, 7].includes(n)) throw new Error(`--members takes 3, 5 and/or 7, got ${n}`);
    if (FIRST_OCTET + n - 1 > LAST_OCTET) throw new Error(`${n} members do not fit in 127.0.0.${FIRST_OCTET}-.${LAST_OCTET}`);
  }
  const clis: Partial<Record<Variant, string>> = { current: CLI };
  if (values.baseline !== undefined) {
    const baseline = join(resolve(values.baseline), 'bin', 'etcd-ha.js');
    if (!existsSync(baseline)) throw new Error(`--baseline ${values.baseline}: no bin/etcd-ha.js there`);
    clis.baseline = baseline;
  }
  const variants = Object.keys(clis) as Variant[];
  const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);
  const octets = [
    ...range(FIRST_OCTET, Math.max(0, ...sizes)),
    // The members and the new member's address, on each side.
    ...(measure.includes('replace') ? [...range(REPLACE_PRODUCT_OCTET, REPLACE_MEMBERS + 1), ...range(REPLACE_FLOOR_OCTET, REPLACE_MEMBERS + 1)] : []),
  ];
  if (Math.max(...octets) > LAST_OCTET) throw new Error(`the bench's addresses do not fit in ${FIRST_ADDRESS}-.${LAST_OCTET}`);
  await refuseBusyAddresses(octets.map((o) => `127.0.0.${o}`));

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    etcd: execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim(),
    loadavgAtStart: loadavg().map((l) => round(l, 2)),
  };
  const what = [sizes.length > 0 && `local up of ${sizes.join(', ')} members`, measure.includes('replace') && 'member replacement'].filter(Boolean);
  console.log(`etcd-ha bench: ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, ${machine.etcd}; ${reps} reps; ${what.join('; ')}`);
  console.log(`loopback ${FIRST_ADDRESS}+, temp homes under ${tmpdir()}; load average ${machine.loadavgAtStart.join(' ')}`);
  if (clis.baseline) console.log(`baseline: ${clis.baseline}, interleaved with ${CLI}`);
  console.log('');

  const runs: Run[] = [];
  const record = (run: Omit<Run, 'load1'>) => {
    const full = { ...run, load1: round(loadavg()[0]!, 2) };
    runs.push(full);
    const extra =
      (run.transitions !== undefined ? `, ${run.transitions} transitions, ${run.healthChecks} health checks` : run.polls !== undefined ? `, ${run.polls} polls` : '') +
      (run.bootstrapWaitMs !== undefined ? `, etcd bootstrap wait ${secs(run.bootstrapWaitMs)} s` : '');
    const who = run.variant === 'baseline' ? ' (baseline)' : '';
    console.log(`  ${`${run.kind}${who}`.padEnd(21)} ${run.members !== undefined ? `${run.members} members` : '         '}  rep ${run.rep}: ${secs(run.ms)} s${extra}  [load ${full.load1}]`);
  };

  // The CLI's fixed cost: node + tsx + every module `local up` loads, doing nothing (`help`). The first
  // call warms tsx's compile cache and is not counted.
  const scratch = new LocalCliSandbox(FIRST_ADDRESS);
  try {
    for (const variant of variants) await runCli(['help'], scratch.env, clis[variant]);
    for (let rep = 1; rep <= reps; rep++) {
      for (const variant of variants) record({ kind: 'cli-start', variant, rep, ms: round((await runCli(['help'], scratch.env, clis[variant])).ms) });
    }
  } finally {
    await scratch.cleanUp();
  }

  for (const n of sizes) {
    const members: PeerAddress[] = Array.from({ length: n }, (_, i) => ({ name: `infra${i}`, address: `127.0.0.${FIRST_OCTET + i}` }));
    for (let rep = 1; rep <= reps; rep++) {
      for (const strategy of FLOOR_STRATEGIES) record({ kind: `floor:${strategy}`, members: n, rep, ...(await floorRun(members, strategy)) });
      // Alternate which checkout goes first, so that neither always runs right after the floor.
      const order = rep % 2 === 1 ? variants : [...variants].reverse();
      for (const variant of order) for (const run of await cliRuns(n, rep, variant, clis[variant]!)) record(run);
    }
  }

  const replaceFloor: FloorSample[] = [];
  const replaceProduct: ProductSample[] = [];
  if (measure.includes('replace')) {
    console.log('');
    for (let rep = 1; rep <= reps; rep++) {
      replaceFloor.push(logged('replace floor', await replaceFloorRun(rep)));
      const order = rep % 2 === 1 ? variants : [...variants].reverse();
      for (const variant of order) replaceProduct.push(logged(`local replace${variant === 'baseline' ? ' (baseline)' : ''}`, await replaceRun(rep, variant, clis[variant]!)));
    }
  }

  const summary = {
    current: summarize(runs, sizes, 'current'),
    ...(clis.baseline && { baseline: summarize(runs, sizes, 'baseline') }),
  };
  const replace = measure.includes('replace') ? summarizeReplace(reps, replaceFloor, replaceProduct, variants, summary) : undefined;
  const results = {
    machine: { ...machine, loadavgAtEnd: loadavg().map((l) => round(l, 2)) },
    settings: { reps, floorPollMs: FLOOR_POLL_MS, firstAddress: FIRST_ADDRESS, measure, clis },
    runs,
    summary,
    ...(replace && { replace }),
  };
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  if (sizes.length > 0) printUpReport(reps, summary);
  if (replace) printReplaceReport(replace.floor, Object.fromEntries(variants.map((v) => [v, replace[v]!])), reps);
  console.log(`\nwrote ${RESULTS}`);
  return 0;
}

function printUpReport(reps: number, summary: { current: VariantSummary; baseline?: VariantSummary }): void {
  console.log(`\nMedians of ${reps} runs (s). Floor: the same etcd members started directly (certificates issued beforehand),`);
  console.log('the faster of: all at once / one by one, each once the previous holds its WAL open (bench/floor.ts).');
  if (summary.baseline) printReport('baseline', summary.baseline);
  printReport(summary.baseline ? 'current' : '', summary.current);
  console.log(
    '\nCLI start: `etcd-ha help` (node, tsx, module loading). rest: local up minus CLI start minus the printed states:\n' +
      'rendering the ASL, the interpreter, the Wait states and any health check that was not healthy yet, client files, exit.\n' +
      "etcd bootstrap wait: the longest time a member spent asking its peers whether it was bootstrapped already (etcd's\n" +
      "isMemberBootstrapped, 1 s timeout per peer that has bound its port but does not serve yet); members started at the\n" +
      'same moment all wait on each other, so local up and the together floor are bimodal. best/floor: the fastest local up.',
  );
}

/** One rep's line, as the up runs print theirs. */
function logged<S extends { rep: number; ms?: number; error?: string; load1: number }>(label: string, sample: S): S {
  const outcome = sample.ms !== undefined ? `${secs(sample.ms)} s` : `ERROR ${sample.error?.split('\n')[0] ?? ''}`;
  console.log(`  ${label.padEnd(24)} 3 members  rep ${sample.rep}: ${outcome}  [load ${sample.load1}]`);
  return sample;
}

const errorOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The floor of one replacement rep: a failure is recorded as this rep's error, not thrown. */
async function replaceFloorRun(rep: number): Promise<FloorSample> {
  const members: PeerAddress[] = Array.from({ length: REPLACE_MEMBERS }, (_, i) => ({ name: `infra${i}`, address: `127.0.0.${REPLACE_FLOOR_OCTET + i}` }));
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-bench-replace-floor-'));
  let stop: (() => Promise<void>) | undefined;
  try {
    const { ms, ...rest } = await measureReplaceFloor(members, `127.0.0.${REPLACE_FLOOR_OCTET + REPLACE_MEMBERS}`, work, (s) => {
      stop = s;
      cleanups.add(s);
    });
    return { rep, ms: round(ms), ...rest, load1: round(loadavg()[0]!, 2) };
  } catch (error) {
    return { rep, error: errorOf(error), load1: round(loadavg()[0]!, 2) };
  } finally {
    if (stop) cleanups.delete(stop);
    rmSync(work, { recursive: true, force: true });
  }
}

/** `local kill` + `local replace` on a fresh `local up` of 3: a failure is recorded as this rep's error, not thrown. */
async function replaceRun(rep: number, variant: Variant, cli: string): Promise<ProductSample> {
  let stop: (() => Promise<void>) | undefined;
  try {
    const run = await measureReplace(cli, `127.0.0.${REPLACE_PRODUCT_OCTET}`, `127.0.0.${REPLACE_PRODUCT_OCTET + REPLACE_MEMBERS}`, (s) => {
      stop = s;
      cleanups.add(s);
    });
    return productSample(variant, rep, round(loadavg()[0]!, 2), run);
  } catch (error) {
    return { variant, rep, error: errorOf(error), load1: round(loadavg()[0]!, 2) };
  } finally {
    if (stop) cleanups.delete(stop);
  }
}

/** results.json's `replace` section. */
function summarizeReplace(
  reps: number,
  floorSamples: readonly FloorSample[],
  productSamples: readonly ProductSample[],
  variants: readonly Variant[],
  up: Record<string, VariantSummary | undefined>,
) {
  const floor = summarizeFloor(floorSamples);
  const byVariant = Object.fromEntries(
    variants.map((v) => [v, summarizeProduct(productSamples.filter((s) => s.variant === v), floor, up[v]!.cliStartMs)]),
  ) as Partial<Record<Variant, ReturnType<typeof summarizeProduct>>>;
  return {
    reps,
    /** The goal: local replace's median ≤ goal × the floor's median (each variant says whether it is met). */
    goal: GOAL_REPLACE_OVER_FLOOR,
    killed: 'a follower (SIGKILL), both sides',
    settleMs: SETTLE_MS,
    addresses: {
      product: `127.0.0.${REPLACE_PRODUCT_OCTET}-.${REPLACE_PRODUCT_OCTET + REPLACE_MEMBERS - 1}, new member .${REPLACE_PRODUCT_OCTET + REPLACE_MEMBERS}`,
      floor: `127.0.0.${REPLACE_FLOOR_OCTET}-.${REPLACE_FLOOR_OCTET + REPLACE_MEMBERS - 1}, new member .${REPLACE_FLOOR_OCTET + REPLACE_MEMBERS}`,
    },
    floor,
    ...byVariant,
  };
}

async function floorRun(members: readonly PeerAddress[], strategy: FloorStrategy): Promise<{ ms: number; polls: number; bootstrapWaitMs?: number }> {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-bench-floor-'));
  let stop: (() => Promise<void>) | undefined;
  try {
    const run = await measureFloor(members, work, strategy, (s) => {
      stop = s;
      cleanups.add(s);
    });
    return { ...run, ms: round(run.ms) };
  } finally {
    if (stop) cleanups.delete(stop);
    rmSync(work, { recursive: true, force: true });
  }
}

/** `local up`, `local up` again on the healthy cluster, `local down`: each timed and checked. */
async function cliRuns(n: number, rep: number, variant: Variant, cli: string): Promise<Omit<Run, 'load1'>[]> {
  const sandbox = new LocalCliSandbox(FIRST_ADDRESS);
  const cleanUp = async () => {
    if (Object.values(sandbox.pids()).some(isRunning)) await runCli(['local', 'down'], sandbox.env, cli).catch(() => undefined);
    await sandbox.cleanUp();
  };
  cleanups.add(cleanUp);
  try {
    const up = await runCli(['local', 'up', '--members', String(n)], sandbox.env, cli);
    if (up.status !== 0) throw new Error(`${variant}: local up --members ${n} exited ${up.status}:\n${up.stdout}\n${up.stderr}`);
    const pids = sandbox.pids();
    const bootstrapWaitMs = longestBootstrapWaitMs(Object.keys(pids).map((host) => join(sandbox.home, 'hosts', host, 'var', 'log', 'etcd-ha', 'etcd.log')));
    const running = Object.values(pids).filter(isRunning).length;
    if (running !== n) throw new Error(`${variant}: local up --members ${n} left ${running} etcd processes running, expected ${n}`);

    const reup = await runCli(['local', 'up', '--members', String(n)], sandbox.env, cli);
    if (reup.status !== 0) throw new Error(`${variant}: the second local up --members ${n} exited ${reup.status}:\n${reup.stdout}\n${reup.stderr}`);
    // Idempotent: the same processes, nothing restarted.
    if (JSON.stringify(sandbox.pids()) !== JSON.stringify(pids)) throw new Error(`${variant}: the second local up restarted members on a healthy cluster`);

    const down = await runCli(['local', 'down'], sandbox.env, cli);
    if (down.status !== 0) throw new Error(`${variant}: local down exited ${down.status}:\n${down.stdout}\n${down.stderr}`);
    const left = Object.values(pids).filter(isRunning);
    if (left.length > 0) throw new Error(`${variant}: local down left etcd running: PIDs ${left.join(', ')}`);

    const detail = (b: UpBreakdown) => ({ transitions: b.transitions, healthChecks: b.healthChecks, states: b.states, slowestHost: b.slowestHost });
    return [
      { kind: 'up', variant, members: n, rep, ms: round(up.ms), ...detail(parseUpOutput(up.stdout)), ...(bootstrapWaitMs !== undefined && { bootstrapWaitMs }) },
      { kind: 'reup', variant, members: n, rep, ms: round(reup.ms), ...detail(parseUpOutput(reup.stdout)) },
      { kind: 'down', variant, members: n, rep, ms: round(down.ms) },
    ];
  } finally {
    cleanups.delete(cleanUp);
    await cleanUp();
  }
}

interface SizeSummary {
  readonly members: number;
  /** The lower of the floor strategies' medians. */
  readonly floorMs: number;
  readonly floorByStrategyMs: Readonly<Record<FloorStrategy, number>>;
  readonly upMs: number;
  /** Fastest and slowest `local up`. */
  readonly upRangeMs: readonly [number, number];
  /** Fastest `local up` over the floor: the runs are bimodal (etcd's bootstrap wait), this is the good mode. */
  readonly bestUpOverFloor: number;
  /** Median of etcd's bootstrap wait (longest member) in `local up` and in the floor runs. */
  readonly etcdBootstrapWaitMs: { readonly up: number; readonly floor: Readonly<Record<FloorStrategy, number>> };
  readonly reupMs: number;
  readonly downMs: number;
  readonly upOverFloor: number;
  readonly upOverFloorGoal: number;
  readonly upOverFloorMet: boolean;
  readonly transitions: number;
  readonly reupTransitions: number;
  /** Medians of where `local up` spent its time (ms). */
  readonly breakdown: Readonly<Record<string, number>>;
}

interface VariantSummary {
  readonly cliStartMs: number;
  readonly bySize: readonly SizeSummary[];
  readonly sevenOverThree?: { readonly ratio: number; readonly goal: number; readonly met: boolean };
  /** The same ratio on the fastest runs (no etcd bootstrap wait). */
  readonly sevenOverThreeBest?: { readonly ratio: number; readonly goal: number; readonly met: boolean };
}

function summarize(runs: readonly Run[], sizes: readonly number[], variant: Variant): VariantSummary {
  const of = (kind: RunKind, n?: number) =>
    runs.filter((r) => r.kind === kind && (n === undefined || r.members === n) && (r.variant === undefined || r.variant === variant));
  const med = (kind: RunKind, n?: number) => round(median(of(kind, n).map((r) => r.ms)));
  const cliStartMs = med('cli-start');
  const bySize = sizes.map((n): SizeSummary => {
    const ups = of('up', n);
    const state = (name: string) => round(median(ups.map((r) => r.states?.[name] ?? 0)));
    const host = (name: string) => round(median(ups.map((r) => r.slowestHost?.[name] ?? 0)));
    const printed = (r: Run) => Object.values(r.states ?? {}).reduce((a, b) => a + b, 0);
    const floorByStrategyMs = Object.fromEntries(FLOOR_STRATEGIES.map((s) => [s, med(`floor:${s}`, n)])) as Record<FloorStrategy, number>;
    const floorMs = Math.min(...Object.values(floorByStrategyMs));
    const upMs = med('up', n);
    const upOverFloor = round(upMs / floorMs, 2);
    const bestUpMs = Math.min(...ups.map((r) => r.ms));
    const waitOf = (kind: RunKind) => round(median(of(kind, n).map((r) => r.bootstrapWaitMs ?? 0)));
    return {
      members: n,
      floorMs,
      floorByStrategyMs,
      upMs,
      upRangeMs: [bestUpMs, Math.max(...ups.map((r) => r.ms))],
      bestUpOverFloor: round(bestUpMs / floorMs, 2),
      etcdBootstrapWaitMs: { up: waitOf('up'), floor: { together: waitOf('floor:together'), 'one-by-one': waitOf('floor:one-by-one') } },
      reupMs: med('reup', n),
      downMs: med('down', n),
      upOverFloor,
      upOverFloorGoal: GOAL_UP_OVER_FLOOR,
      upOverFloorMet: upOverFloor <= GOAL_UP_OVER_FLOOR,
      transitions: median(ups.map((r) => r.transitions ?? 0)),
      reupTransitions: median(of('reup', n).map((r) => r.transitions ?? 0)),
      breakdown: {
        cliStart: cliStartMs,
        validateAndResolve: round(state('Validate Spec') + state('Resolve Hosts')),
        generatePki: state('Generate PKI'),
        configureHosts: state('Configure Hosts'),
        slowestPushCertificates: host('Push Certificates'),
        slowestWriteEtcdConfig: host('Write Etcd Config'),
        slowestStartEtcd: host('Start Etcd'),
        checkHealth: state('Check Health'),
        healthChecks: median(ups.map((r) => r.healthChecks ?? 0)),
        rest: round(median(ups.map((r) => r.ms - cliStartMs - printed(r)))),
      },
    };
  });
  const three = bySize.find((s) => s.members === 3);
  const seven = bySize.find((s) => s.members === 7);
  const verdict = (ratio: number) => ({ ratio, goal: GOAL_7_OVER_3, met: ratio <= GOAL_7_OVER_3 });
  return {
    cliStartMs,
    bySize,
    ...(three && seven && { sevenOverThree: verdict(round(seven.upMs / three.upMs, 2)), sevenOverThreeBest: verdict(round(seven.upRangeMs[0] / three.upRangeMs[0], 2)) }),
  };
}

function printReport(title: string, summary: VariantSummary): void {
  if (title) console.log(`\n=== ${title}`);
  console.log('');
  console.log(
    table(
      ['members', 'floor', '(together', 'one-by-one)', 'local up', '(min-max)', 'up/floor', `goal ≤${GOAL_UP_OVER_FLOOR}×`, 'best/floor', 'transitions', 're-run up', '(transitions)', 'local down'],
      summary.bySize.map((s) => [
        String(s.members),
        secs(s.floorMs),
        secs(s.floorByStrategyMs.together),
        secs(s.floorByStrategyMs['one-by-one']),
        secs(s.upMs),
        `${secs(s.upRangeMs[0])}-${secs(s.upRangeMs[1])}`,
        `${s.upOverFloor.toFixed(2)}×`,
        s.upOverFloorMet ? 'met' : `NOT met (+${secs(s.upMs - GOAL_UP_OVER_FLOOR * s.floorMs)} s)`,
        `${s.bestUpOverFloor.toFixed(2)}×`,
        String(s.transitions),
        secs(s.reupMs),
        String(s.reupTransitions),
        secs(s.downMs),
      ]),
    ),
  );
  if (summary.sevenOverThree) {
    const { ratio, goal, met } = summary.sevenOverThree;
    console.log(`\nlocal up, 7 members vs 3: ${ratio.toFixed(2)}× (goal ≤${goal}×: ${met ? 'met' : 'NOT met'})`);
  }
  if (summary.sevenOverThreeBest) {
    const { ratio, met } = summary.sevenOverThreeBest;
    console.log(`             fastest runs: ${ratio.toFixed(2)}× (${met ? 'met' : 'NOT met'})`);
  }
  console.log('\nWhere `local up` spends its time (medians, s; per-host states: the slowest host):\n');
  console.log(
    table(
      ['members', 'CLI start', 'Generate PKI', 'Configure Hosts', '(Push Certs', 'Write Config', 'Start Etcd)', 'Check Health', 'checks', 'rest', 'etcd bootstrap wait: up', 'floor together', 'one-by-one'],
      summary.bySize.map(({ members, breakdown: b, etcdBootstrapWaitMs: w }) => [
        String(members),
        secs(b.cliStart!),
        secs(b.generatePki!),
        secs(b.configureHosts!),
        secs(b.slowestPushCertificates!),
        secs(b.slowestWriteEtcdConfig!),
        secs(b.slowestStartEtcd!),
        secs(b.checkHealth!),
        String(b.healthChecks),
        secs(b.rest!),
        secs(w.up),
        secs(w.floor.together),
        secs(w.floor['one-by-one']),
      ]),
    ),
  );
}

/** Nothing may already listen on the bench's addresses: it would be someone else's etcd. */
async function refuseBusyAddresses(addresses: readonly string[]): Promise<void> {
  for (const address of addresses) {
    for (const port of [2379, 2380, 2381]) {
      await new Promise<void>((resolvePromise, reject) => {
        const server = createServer();
        server.once('error', (error: NodeJS.ErrnoException) =>
          reject(new Error(`${address}:${port} is in use (${error.code}): the bench needs ${addresses.join(', ')} free`)),
        );
        server.listen(port, address, () => server.close(() => resolvePromise()));
      });
    }
  }
}

async function stopEverything(): Promise<void> {
  for (const cleanUp of [...cleanups]) {
    cleanups.delete(cleanUp);
    await cleanUp().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping what the bench started`);
    void stopEverything().finally(() => process.exit(130));
  });
}

main()
  .catch(async (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    await stopEverything();
    return 1;
  })
  .then((code) => {
    process.exitCode = code;
  });
