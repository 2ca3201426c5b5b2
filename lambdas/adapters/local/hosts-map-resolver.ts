// A tiny resolver for local clients: looks a name up in the local runner's hosts maps (HostsMapNames), the way a
// client on AWS asks the VPC's resolver for the private zone. Nothing else is consulted: no /etc/hosts, no DNS.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHostsMap } from '../../core/hosts-map';
import { normalizeName } from '../../core/names';

export class HostsMapResolver {
  constructor(private readonly dir: string) {}

  /** Every address of `name` (sorted), read afresh from the maps at each call; none when it is not published. */
  resolve(name: string): string[] {
    if (!existsSync(this.dir)) return [];
    const wanted = normalizeName(name);
    const addresses = readdirSync(this.dir)
      .filter((file) => file.endsWith('.hosts'))
      .flatMap((file) => parseHostsMap(readFileSync(join(this.dir, file), 'utf8')))
      .filter((r) => r.name === wanted)
      .flatMap((r) => r.addresses);
    return [...new Set(addresses)].sort();
  }
}
