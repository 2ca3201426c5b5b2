// What an etcd 3.4 log says about its start: how long the member spent asking its peers whether it
// was bootstrapped already (etcdserver's isMemberBootstrapped: up to 1 s per peer that has bound its
// peer port but does not serve yet). That wait is etcd's own, and when members start at the same
// moment it is most of the time to a healthy cluster.
import { existsSync, readFileSync } from 'node:fs';

const STAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{6})/;

/** ms since the epoch (read as UTC: only differences matter) of an etcd 3.4 log line, with its µs. */
function stampOf(line: string | undefined): number | undefined {
  const match = line === undefined ? null : STAMP.exec(line);
  if (!match) return undefined;
  const [, date, time, micros] = match;
  return Date.parse(`${date}T${time}Z`) + Number(micros) / 1000;
}

/** ms from "advertise client URLs" (flags read, ports bound) to "starting member" (peers asked); undefined if not in the log. */
export function bootstrapWaitMs(logText: string): number | undefined {
  const lines = logText.split('\n');
  const from = lines.findIndex((l) => l.includes('embed: advertise client URLs'));
  if (from < 0) return undefined;
  const to = lines.findIndex((l, i) => i > from && l.includes('etcdserver: starting member'));
  const start = stampOf(lines[from]);
  const end = to < 0 ? undefined : stampOf(lines[to]);
  return start === undefined || end === undefined ? undefined : Math.round(end - start);
}

/** The longest bootstrap wait among the members whose logs are given (missing logs are skipped). */
export function longestBootstrapWaitMs(logFiles: readonly string[]): number | undefined {
  const waits = logFiles.filter((f) => existsSync(f)).map((f) => bootstrapWaitMs(readFileSync(f, 'utf8')));
  const known = waits.filter((w): w is number => w !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}
