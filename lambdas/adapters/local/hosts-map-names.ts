// MemberNames on one machine: a hosts map per cluster, `<dir>/<cluster>.<zone>.hosts`, replaced atomically (a temp
// file in the same dir, then renamed) so that a reader never sees half of it. One file per cluster: each is written
// only by its cluster's lock holder, so two clusters never race for one file. The machine's resolver is never touched;
// local clients look names up with HostsMapResolver.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHostsMap, parseHostsMap } from '../../core/hosts-map';
import { normalizeName, type NameChanges, type NameRecord } from '../../core/names';
import type { MemberNames } from '../../ports';

export interface HostsMapNamesProps {
  /** The local home's dns directory. */
  readonly dir: string;
}

export class HostsMapNames implements MemberNames {
  /** Any zone: the map is the runner's own. */
  readonly zone = undefined;

  constructor(private readonly props: HostsMapNamesProps) {}

  async published(domain: string): Promise<NameRecord[]> {
    const path = this.fileOf(domain);
    if (!existsSync(path)) return [];
    return parseHostsMap(readFileSync(path, 'utf8')).filter((r) => r.name.endsWith(`.${normalizeName(domain)}`));
  }

  async apply(domain: string, changes: NameChanges): Promise<void> {
    if (changes.upsert.length === 0 && changes.delete.length === 0) return;
    const gone = new Set([...changes.delete, ...changes.upsert].map((r) => normalizeName(r.name)));
    const records = [...(await this.published(domain)).filter((r) => !gone.has(normalizeName(r.name))), ...changes.upsert].sort((a, b) => a.name.localeCompare(b.name));
    const path = this.fileOf(domain);
    if (records.length === 0) {
      rmSync(path, { force: true });
      return;
    }
    mkdirSync(this.props.dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, formatHostsMap(records), { mode: 0o644 });
    renameSync(temp, path);
  }

  private fileOf(domain: string): string {
    // The domain is a validated DNS name (lower-case labels and dots): safe as a file name.
    return join(this.props.dir, `${normalizeName(domain)}.hosts`);
  }
}
