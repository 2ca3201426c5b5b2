// The replacement measurement's samples, their summary (bench/results.json's `replace` section) and the
// tables the bench prints for it.
import type { ReplaceFloorRun } from './replace-floor';
import { SETTLE_MS, type ReplaceRun } from './replace';
import { median, round, secs, table } from './stats';

export const GOAL_REPLACE_OVER_FLOOR = 2;

interface Sample {
  readonly rep: number;
  /** Absent when the rep failed (`error`): an error is not a number. */
  readonly ms?: number;
  readonly error?: string;
  /** 1-minute load average when the rep ended. */
  readonly load1: number;
}

export interface FloorSample extends Sample, Partial<Omit<ReplaceFloorRun, 'ms'>> {}

export interface ProductSample extends Sample, Partial<Omit<ReplaceRun, 'ms' | 'workflow'>> {
  /** Which checkout's CLI ran. */
  readonly variant: string;
  readonly transitions?: number;
  readonly states?: Readonly<Record<string, number>>;
  readonly retries?: Readonly<Record<string, number>>;
}

export function productSample(variant: string, rep: number, load1: number, run: ReplaceRun): ProductSample {
  const { workflow, ms, replaceMs, killTailMs, ...rest } = run;
  return {
    variant,
    rep,
    ms: round(ms),
    replaceMs: round(replaceMs),
    killTailMs: round(killTailMs),
    ...rest,
    transitions: workflow.transitions,
    states: workflow.states,
    retries: workflow.retries,
    load1,
  };
}

interface SideSummary<S> {
  readonly samples: readonly S[];
  readonly medianMs: number;
  readonly bestMs: number;
  readonly worstMs: number;
  readonly errors: number;
}

export interface ProductSummary extends SideSummary<ProductSample> {
  /** Median over the floor's median; the goal is met when it is ≤ goal. */
  readonly ratio: number;
  readonly bestRatio: number;
  readonly goal: number;
  readonly met: boolean;
  readonly transitions: number;
  /** Medians, ms: the CLI's start, each state (retries included), and what no state accounts for. */
  readonly breakdown: {
    readonly cliStart: number;
    readonly killTail: number;
    readonly states: Readonly<Record<string, number>>;
    readonly retries: Readonly<Record<string, number>>;
    readonly rest: number;
  };
}

export interface FloorSummary extends SideSummary<FloorSample> {
  /** Medians, ms and etcdctl calls. */
  readonly phases: Readonly<Record<string, number>>;
  readonly attempts: Readonly<Record<string, number>>;
}

function side<S extends Sample>(samples: readonly S[]): SideSummary<S> {
  const times = samples.flatMap((s) => (s.ms === undefined ? [] : [s.ms]));
  return {
    samples,
    medianMs: round(median(times)),
    bestMs: times.length === 0 ? Number.NaN : Math.min(...times),
    worstMs: times.length === 0 ? Number.NaN : Math.max(...times),
    errors: samples.length - times.length,
  };
}

/** The median of each key over the records (a record without the key counts as 0 for it). */
function medianByKey(records: readonly (Readonly<Record<string, number>> | undefined)[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r ?? {})))];
  return Object.fromEntries(keys.map((k) => [k, round(median(records.map((r) => r?.[k] ?? 0)))]));
}

export function summarizeFloor(samples: readonly FloorSample[]): FloorSummary {
  const ok = samples.filter((s) => s.ms !== undefined);
  return { ...side(samples), phases: medianByKey(ok.map((s) => s.phases)), attempts: medianByKey(ok.map((s) => s.attempts)) };
}

export function summarizeProduct(samples: readonly ProductSample[], floor: FloorSummary, cliStartMs: number): ProductSummary {
  const summary = side(samples);
  const ok = samples.filter((s) => s.ms !== undefined);
  const printed = (s: ProductSample) => Object.values(s.states ?? {}).reduce((a, b) => a + b, 0);
  const ratio = round(summary.medianMs / floor.medianMs, 2);
  return {
    ...summary,
    ratio,
    bestRatio: round(summary.bestMs / floor.medianMs, 2),
    goal: GOAL_REPLACE_OVER_FLOOR,
    met: ratio <= GOAL_REPLACE_OVER_FLOOR,
    transitions: median(ok.map((s) => s.transitions ?? 0)),
    breakdown: {
      cliStart: cliStartMs,
      killTail: round(median(ok.map((s) => s.killTailMs ?? 0))),
      states: medianByKey(ok.map((s) => s.states)),
      retries: medianByKey(ok.map((s) => s.retries)),
      rest: round(median(ok.map((s) => s.ms! - (s.killTailMs ?? 0) - cliStartMs - printed(s)))),
    },
  };
}

export function printReplaceReport(floor: FloorSummary, products: Readonly<Record<string, ProductSummary>>, reps: number): void {
  console.log(`\nMember replacement, 3 members, a follower SIGKILLed: the kill → the new member a voter and the cluster healthy`);
  console.log(`(medians of ${reps} reps, s; errors are reps that failed or did not end with 3 started voters, and are not in the figures).\n`);
  const range = (s: SideSummary<Sample>) => `${secs(s.bestMs)}-${secs(s.worstMs)}`;
  const rows = [
    ['floor (etcdctl)', secs(floor.medianMs), range(floor), '', '', '', String(floor.errors)],
    ...Object.entries(products).map(([variant, p]) => [
      `local replace${Object.keys(products).length > 1 ? ` (${variant})` : ''}`,
      secs(p.medianMs),
      range(p),
      `${p.ratio.toFixed(2)}×`,
      p.met ? 'met' : `NOT met (+${secs(p.medianMs - p.goal * floor.medianMs)} s)`,
      `${p.bestRatio.toFixed(2)}×`,
      String(p.errors),
    ]),
  ];
  console.log(table(['', 'median', '(best-worst)', 'product/floor', `goal ≤${GOAL_REPLACE_OVER_FLOOR}×`, 'best/floor', 'errors'], rows));
  for (const [variant, p] of Object.entries(products)) {
    console.log(`\nlocal replace${Object.keys(products).length > 1 ? ` (${variant})` : ''}: ${p.ratio.toFixed(2)}× the floor, goal ≤${p.goal}×: ${p.met ? 'MET' : 'NOT MET'}`);
  }

  for (const [variant, p] of Object.entries(products)) {
    const b = p.breakdown;
    console.log(`\nWhere \`local replace\`${Object.keys(products).length > 1 ? ` (${variant})` : ''} spends its time from the kill (medians, s; ${p.transitions} state transitions):\n`);
    const stateRows = Object.entries(b.states).map(([state, ms]) => [state, secs(ms), b.retries[state] ? String(b.retries[state]) : '']);
    console.log(
      table(
        ['', 's', 'retries'],
        [['local kill: exit after the kill', secs(b.killTail), ''], ['CLI start (etcd-ha help)', secs(b.cliStart), ''], ...stateRows, ['rest', secs(b.rest), '']],
      ),
    );
  }
  console.log('\nWhere the floor spends its time from the kill (medians, s; etcdctl calls until etcd accepted):\n');
  console.log(table(['', 's', 'calls'], Object.entries(floor.phases).map(([phase, ms]) => [phase, secs(ms), floor.attempts[phase] !== undefined ? String(floor.attempts[phase]) : ''])));
  console.log(
    `\nBoth clusters ran for ${SETTLE_MS / 1000} s before the kill (bench/replace.ts: etcd refuses \`member add\` until the member\n` +
      'asked has been connected to every voter for 5 s). CLI start: `etcd-ha help` (node, tsx, every module). rest: what\n' +
      'no printed state accounts for: rendering the ASL (the CDK constructs, cold), the interpreter, the Choice/Pass/Wait\n' +
      'states not printed (Wait For Members), the summary, exit. A state etcd refuses (EtcdNotReadyError) waits the\n' +
      'retry interval of the definition (2 s, then ×1.5) locally too; the floor asks again every 25 ms (calls above).',
  );
  const errors = [floor, ...Object.values(products)].flatMap((s) => (s.samples as readonly Sample[]).filter((x) => x.error !== undefined));
  for (const e of errors) console.log(`\nerror in rep ${e.rep}: ${e.error}`);
}
