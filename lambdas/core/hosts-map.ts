// The local stand-in for a DNS zone: a hosts-file style text, one "address name" line per address, so a multi-value
// name has one line per address (as /etc/hosts lists them). Only the local runner's files use it, never /etc/hosts.
import type { NameRecord } from './names';

const HEADER = '# etcd-ha local names (written by the cluster-lock holder; not the machine\'s /etc/hosts)';

/** The text of a hosts map holding `records`. */
export function formatHostsMap(records: readonly NameRecord[]): string {
  const lines = records.flatMap((r) => r.addresses.map((a) => `${a} ${r.name}`));
  return `${[HEADER, ...lines].join('\n')}\n`;
}

/** The records of a hosts map: its lines grouped by name (comments and blank lines skipped). */
export function parseHostsMap(text: string): NameRecord[] {
  const byName = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address) continue;
    for (const name of names) byName.set(name.toLowerCase(), [...(byName.get(name.toLowerCase()) ?? []), address]);
  }
  return [...byName].map(([name, addresses]) => ({ name, addresses }));
}
