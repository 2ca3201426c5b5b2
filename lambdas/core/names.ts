// Stable names: a replacement gives a member a new address, never a new name. Each member is
// `<member>.<cluster>.<zone>`, and the cluster's clients (kube-apiserver's --etcd-servers) use one multi-value name,
// `etcd.<cluster>.<zone>`, that holds every voter's address. The server and peer certificates carry both names,
// the DNS (a Route 53 private zone on AWS, a hosts map locally) follows each membership change.

/** The zone of the names unless a spec says otherwise (spec.dnsZone). */
export const DEFAULT_DNS_ZONE = 'etcd-ha.internal';

/** The first label of the clients' name. A member named "etcd" would get `etcd.etcd.<cluster>…`: no clash. */
export const CLIENT_NAME_LABEL = 'etcd';

/** A DNS name holds at most 253 characters (RFC 1035, without the final dot). */
export const MAX_DNS_NAME_LENGTH = 253;

/** What the names are made of: the spec's cluster name and zone. */
export interface NameScope {
  readonly clusterName: string;
  readonly dnsZone: string;
}

/** One name and the addresses behind it (an A record set). */
export interface NameRecord {
  readonly name: string;
  readonly addresses: readonly string[];
}

/** Every name of a cluster: one per member, and the clients' name with every voter's address. */
export interface ClusterNames {
  /** `<cluster>.<zone>`: every name of the cluster ends with it. */
  readonly domain: string;
  readonly clientName: string;
  readonly records: readonly NameRecord[];
}

/** What to change so that the published names are the desired ones. */
export interface NameChanges {
  readonly upsert: readonly NameRecord[];
  /** Names that left, with the addresses they hold now (Route 53 deletes a record set only by its exact value). */
  readonly delete: readonly NameRecord[];
}

export function clusterDomain(scope: NameScope): string {
  return `${scope.clusterName}.${scope.dnsZone}`;
}

/** `<member>.<cluster>.<zone>` */
export function memberDnsName(scope: NameScope, memberName: string): string {
  return `${memberName}.${clusterDomain(scope)}`;
}

/** `etcd.<cluster>.<zone>`: the one name the cluster's clients are configured with. */
export function clientDnsName(scope: NameScope): string {
  return `${CLIENT_NAME_LABEL}.${clusterDomain(scope)}`;
}

/** The names a member's server and peer certificates carry: its own, then the clients'. */
export function memberCertNames(scope: NameScope, memberName: string): string[] {
  return [memberDnsName(scope, memberName), clientDnsName(scope)];
}

/** `https://etcd.<cluster>.<zone>:<port>`: what a client (kube-apiserver's --etcd-servers) is configured with. */
export function clientUrlByName(scope: NameScope, clientPort: number): string {
  return `https://${clientDnsName(scope)}:${clientPort}`;
}

/**
 * The names of a cluster whose voters are `members` (name and address each). Sorted by name, addresses sorted,
 * so that equal clusters give equal records.
 */
export function clusterNames(scope: NameScope, members: readonly { readonly name: string; readonly address: string }[]): ClusterNames {
  const records = members.map((m) => ({ name: memberDnsName(scope, m.name), addresses: [m.address] }));
  const clientAddresses = [...new Set(members.map((m) => m.address))].sort();
  return {
    domain: clusterDomain(scope),
    clientName: clientDnsName(scope),
    records: [...(clientAddresses.length > 0 ? [{ name: clientDnsName(scope), addresses: clientAddresses }] : []), ...records].sort((a, b) =>
      a.name.localeCompare(b.name),
    ),
  };
}

/**
 * The changes from `published` (what the DNS holds now under the cluster's domain) to `desired`: a name whose
 * addresses differ is upserted, a name under the domain that is no longer desired is deleted, the rest is left
 * alone (an unchanged cluster changes nothing). Names outside the domain are never touched. Names compare without
 * a final dot and case-insensitively, as DNS does.
 */
export function planNameChanges(desired: ClusterNames, published: readonly NameRecord[]): NameChanges {
  const suffix = `.${normalizeName(desired.domain)}`;
  const mine = published.filter((r) => normalizeName(r.name).endsWith(suffix));
  const now = new Map(mine.map((r) => [normalizeName(r.name), sortedAddresses(r.addresses)]));
  const wanted = new Set(desired.records.map((r) => normalizeName(r.name)));
  return {
    upsert: desired.records.filter((r) => now.get(normalizeName(r.name))?.join(',') !== sortedAddresses(r.addresses).join(',')),
    delete: mine.filter((r) => !wanted.has(normalizeName(r.name))),
  };
}

export function hasNameChanges(changes: NameChanges): boolean {
  return changes.upsert.length > 0 || changes.delete.length > 0;
}

/** Lower case, no final dot: how two spellings of one DNS name compare. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function sortedAddresses(addresses: readonly string[]): string[] {
  return [...new Set(addresses)].sort();
}

/**
 * Why a member's names cannot be DNS names (too long), or undefined. Spec validation reports it on the member.
 */
export function nameLengthProblem(scope: NameScope, memberName: string): string | undefined {
  const name = memberDnsName(scope, memberName);
  if (name.length <= MAX_DNS_NAME_LENGTH) return undefined;
  return `makes the member's DNS name "${name}" ${name.length} characters long; a DNS name holds at most ${MAX_DNS_NAME_LENGTH}`;
}

/** What a workflow that changed membership says about the names (Record Cluster's answer, `names`). */
export interface NamesOutcome {
  /** The one name clients are configured with. */
  readonly clientName: string;
  /** `https://<clientName>:<clientPort>`: kube-apiserver's --etcd-servers. */
  readonly clientUrl: string;
  /** Each member's own name. */
  readonly members: Readonly<Record<string, string>>;
  /** Whether the DNS now holds them; false with `note` saying why not (the certificates carry them anyway). */
  readonly published: boolean;
  /** Names upserted and deleted by this run (0 and 0: already as they should be). */
  readonly upserted: number;
  readonly deleted: number;
  readonly note?: string;
}
