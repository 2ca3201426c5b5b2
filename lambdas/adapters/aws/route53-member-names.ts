// MemberNames on AWS: A record sets in a Route 53 private hosted zone. Every change of a cluster goes in one change
// batch (UPSERT of each name whose addresses differ, DELETE of names of members that left), so a reader never sees
// half a change. A DELETE must match the record set exactly (TTL and values): apply reads the set again for it.
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { normalizeName, type NameChanges, type NameRecord } from '../../core/names';
import type { MemberNames } from '../../ports';

/**
 * Seconds a resolver may keep an answer. Short: a client that reconnects after a replacement should find the new
 * member within seconds (Route 53 charges per hosted zone and query, not per TTL).
 */
export const NAME_TTL_SECONDS = 10;

export interface Route53MemberNamesProps {
  /** Created once per module by the composition root. */
  readonly client: Route53Client;
  readonly hostedZoneId: string;
  /** The hosted zone's name (`etcd-ha.internal`): names are published only for specs whose dnsZone it is. */
  readonly zoneName: string;
}

export class Route53MemberNames implements MemberNames {
  readonly zone: string;

  constructor(private readonly props: Route53MemberNamesProps) {
    this.zone = normalizeName(props.zoneName);
  }

  async published(domain: string): Promise<NameRecord[]> {
    return (await this.recordSetsUnder(domain)).map((set) => ({ name: normalizeName(set.Name!), addresses: (set.ResourceRecords ?? []).map((r) => r.Value!) }));
  }

  async apply(domain: string, changes: NameChanges): Promise<void> {
    if (changes.upsert.length === 0 && changes.delete.length === 0) return;
    const current = new Map((await this.recordSetsUnder(domain)).map((set) => [normalizeName(set.Name!), set]));
    const batch: Change[] = [
      ...changes.upsert.map(
        (r): Change => ({
          Action: 'UPSERT',
          ResourceRecordSet: { Name: r.name, Type: 'A', TTL: NAME_TTL_SECONDS, ResourceRecords: r.addresses.map((Value) => ({ Value })) },
        }),
      ),
      // Gone since it was read (another run of the same lock holder, retried): nothing left to delete.
      ...changes.delete.flatMap((r): Change[] => {
        const set = current.get(normalizeName(r.name));
        return set ? [{ Action: 'DELETE', ResourceRecordSet: set }] : [];
      }),
    ];
    if (batch.length === 0) return;
    await this.props.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: this.props.hostedZoneId,
        ChangeBatch: { Comment: `etcd-ha: names of ${domain}`, Changes: batch },
      }),
    );
  }

  /** The A record sets strictly under `domain`. The zone holds a few names per cluster: it is read whole, page by page. */
  private async recordSetsUnder(domain: string): Promise<ResourceRecordSet[]> {
    const suffix = `.${normalizeName(domain)}`;
    const found: ResourceRecordSet[] = [];
    let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = {};
    for (;;) {
      const page = await this.props.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: this.props.hostedZoneId, ...start }));
      for (const set of page.ResourceRecordSets ?? []) {
        if (set.Type === 'A' && set.Name !== undefined && normalizeName(set.Name).endsWith(suffix)) found.push(set);
      }
      if (!page.IsTruncated) return found;
      start = {
        ...(page.NextRecordName !== undefined && { StartRecordName: page.NextRecordName }),
        ...(page.NextRecordType !== undefined && { StartRecordType: page.NextRecordType }),
        ...(page.NextRecordIdentifier !== undefined && { StartRecordIdentifier: page.NextRecordIdentifier }),
      };
    }
  }
}
