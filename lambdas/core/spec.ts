// The cluster spec: the one input contract of every workflow. Parsing fills defaults, so the
// rest of the code works with a complete, validated ClusterSpec and never re-checks fields.
import { z } from 'zod';
import { OWNED_ETCD_FLAGS } from './owned-flags';
import { parseOrThrow } from './parse';
import { dedicatedDirectoryProblem } from './spec-host-paths';
import { specPolicyProblems, type SpecPolicy } from './spec-policy';
import { DEFAULT_DNS_ZONE, nameLengthProblem } from './names';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// Values end up in an EnvironmentFile and in YAML: keep out what either would interpret.
const SAFE_FLAG_VALUE = /^[^"'\\$`\r\n]*$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._/-]*$/;

/** Sizes etcd recommends; 1 is allowed only with allowSingleMember (no fault tolerance). */
export const ALLOWED_MEMBER_COUNTS = [1, 3, 5, 7] as const;

const dns1123Label = z
  .string()
  .max(63, 'must be at most 63 characters (DNS-1123 label)')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric');

const dns1123Subdomain = z
  .string()
  .max(253, 'must be at most 253 characters (DNS-1123 subdomain)')
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain: lower-case alphanumeric labels separated by "."');

const port = z
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const ipv4 = z.ipv4({ error: 'must be an IPv4 address such as 10.0.0.6' });

/** A SAN is an IP address or a DNS name, as kubeadm's serverCertSANs / peerCertSANs accept. */
const subjectAltName = z.union([ipv4, z.ipv6(), dns1123Subdomain], {
  error: 'must be an IP address or a DNS-1123 name',
});

const absolutePath = z.string().regex(ABSOLUTE_PATH, 'must be an absolute path of letters, digits, ".", "_", "-" and "/"');

/** What a JSON value is ("null", "array", "string", …), as a reader of the spec file would call it. */
function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** A wrong-type message that shows the right shape; the schema's other issues keep their own messages. */
function wrongTypeShowing(expected: string, example: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.code === 'invalid_type' ? `expected ${expected}, received ${jsonTypeOf(issue.input)}: ${example}` : undefined;
}

/** A member's name wherever one enters (a spec's members, ReplaceMember's replacement.name). */
export const MemberNameSchema = dns1123Subdomain;
export const ClusterNameSchema = dns1123Label;

/** The data dir is made 0700 and may be moved aside, as root: it must be etcd's own directory. */
const dataDir = absolutePath.superRefine((path, ctx) => {
  const problem = dedicatedDirectoryProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const MemberSchema = z.strictObject({
  /** Node name: etcd member name, certificate CN and SAN, kubeadm nodeRegistration.name. */
  name: MemberNameSchema,
  /** EC2 instance that hosts the member (AWS); its private IP becomes the address when none is given. */
  instanceId: z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID such as i-0123456789abcdef0').optional(),
  /** Address the member advertises to peers and clients. */
  address: ipv4.optional(),
});

/** Where the systemd runtime's unit finds etcd unless the spec says otherwise (local mode ships it there on each host). */
export const DEFAULT_ETCD_BINARY_PATH = '/usr/local/bin/etcd';

export const EtcdSchema = z.strictObject({
  /** etcd image tag for kubeadm (e.g. 3.5.21-0); absent: the one kubeadm picks for its Kubernetes version. */
  imageTag: z.string().regex(IMAGE_TAG, 'must be a container image tag such as 3.5.21-0').optional(),
  /** Registry for the etcd image (kubeadm etcd.local.imageRepository); absent: kubeadm's default. */
  imageRepository: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/, 'must be a registry path such as registry.k8s.io').optional(),
  /** The etcd binary the systemd runtime's unit starts. */
  binaryPath: absolutePath.default(DEFAULT_ETCD_BINARY_PATH),
  clientPort: port.default(2379),
  peerPort: port.default(2380),
  metricsPort: port.default(2381),
  dataDir: dataDir.default('/var/lib/etcd'),
  /** Extra etcd flags, names without leading dashes, e.g. { "quota-backend-bytes": "8589934592" }. */
  extraArgs: z
    .record(
      z.string().regex(FLAG_NAME, 'flag names are written without leading dashes, e.g. "snapshot-count"'),
      z.string().regex(SAFE_FLAG_VALUE, 'must not contain quotes, backslashes, "$", "`" or line breaks'),
    )
    .default({}),
  /** Flags the product owns that extraArgs may still override, deliberately (e.g. "listen-client-urls"). */
  allowOwnedFlagOverrides: z.array(z.enum(OWNED_ETCD_FLAGS)).default([]),
});

export const KubeletSchema = z.strictObject({
  cgroupDriver: z.enum(['systemd', 'cgroupfs']).default('systemd'),
  containerRuntimeEndpoint: z
    .string()
    .regex(/^unix:\/\/\/\S+$/, 'must be a unix socket URL such as unix:///var/run/containerd/containerd.sock')
    .default('unix:///var/run/containerd/containerd.sock'),
});

export const CertificatesSchema = z.strictObject({
  /** Added to the etcd server certificate of every member (kubeadm etcd.local.serverCertSANs). */
  serverCertSANs: z.array(subjectAltName).default([]),
  /** Added to the etcd peer certificate of every member (kubeadm etcd.local.peerCertSANs). */
  peerCertSANs: z.array(subjectAltName).default([]),
  /** Leaf certificates: kubeadm issues them for one year. */
  validityDays: z.number().int().min(1).max(3650).default(365),
  /** The etcd CA: kubeadm issues it for ten years. */
  caValidityDays: z.number().int().min(1).max(36500).default(3650),
  /** A leaf expiring within this many days is reissued when a workflow runs. */
  renewBeforeDays: z.number().int().min(0).default(30),
  /** node-forge signs with RSA only, so kubeadm's ECDSA-P256 option is not offered. */
  keyAlgorithm: z.enum(['RSA-2048', 'RSA-3072', 'RSA-4096']).default('RSA-2048'),
});

const ClusterSpecFields = z.strictObject(
  {
    clusterName: dns1123Label,
    members: z
      .array(MemberSchema, { error: wrongTypeShowing('array', 'a list of members such as [{ "name": "infra0" }, { "name": "infra1" }, …]') })
      .min(1, 'must list at least one member'),
    /** A 1-member cluster has no fault tolerance: it must be asked for explicitly. */
    allowSingleMember: z.boolean().default(false),
    runtime: z.enum(['kubeadm', 'systemd']).default('kubeadm'),
    kubeadmApiVersion: z.enum(['v1beta4', 'v1beta3']).default('v1beta4'),
    etcd: EtcdSchema.default(() => EtcdSchema.parse({})),
    kubelet: KubeletSchema.default(() => KubeletSchema.parse({})),
    certificates: CertificatesSchema.default(() => CertificatesSchema.parse({})),
    /**
     * The zone of the cluster's stable names (lambdas/core/names.ts): `<member>.<cluster>.<dnsZone>` per member and
     * `etcd.<cluster>.<dnsZone>` for its clients, carried by the server and peer certificates. On AWS the names are
     * published only when it is the stack's hosted zone's name.
     */
    dnsZone: dns1123Subdomain.default(DEFAULT_DNS_ZONE),
  },
  { error: wrongTypeShowing('object', 'a cluster spec is a JSON object such as { "clusterName": "demo", "members": [ … ] }') },
);

/**
 * A cluster as it is: what the steps are handed and the record holds. Its member list may have an even size for as
 * long as ScaleCluster, one member at a time, goes from one odd size to the next (3 → 4 → 5), or after such a run
 * failed half-way; a spec someone asks for (parseClusterSpec, Validate Spec) must have an odd size.
 */
export const ClusterSpecSchema = ClusterSpecFields.superRefine((spec, ctx) => checkClusterRules(spec, ctx, 'any'));
/** A spec someone asks for: an odd size (1 only with allowSingleMember), besides every other rule. */
const RequestedClusterSpecSchema = ClusterSpecFields.superRefine((spec, ctx) => checkClusterRules(spec, ctx, 'odd'));

export type ClusterSpecInput = z.input<typeof ClusterSpecSchema>;
export type ClusterSpec = z.output<typeof ClusterSpecSchema>;
export type Member = z.output<typeof MemberSchema>;

function checkClusterRules(spec: z.output<typeof ClusterSpecFields>, ctx: z.RefinementCtx, sizes: 'odd' | 'any'): void {
  const count = spec.members.length;
  const sizeAllowed = sizes === 'odd' ? (ALLOWED_MEMBER_COUNTS as readonly number[]).includes(count) : count >= 1 && count <= Math.max(...ALLOWED_MEMBER_COUNTS);
  if (!sizeAllowed) {
    ctx.addIssue({
      code: 'custom',
      path: ['members'],
      message: `has ${count} members; an etcd cluster needs an odd size of 3, 5 or 7 (1 only with allowSingleMember)`,
    });
  } else if (count === 1 && !spec.allowSingleMember) {
    ctx.addIssue({
      code: 'custom',
      path: ['members'],
      message: 'has 1 member, which tolerates no failure; set allowSingleMember: true to accept that',
    });
  }
  for (const field of ['name', 'address', 'instanceId'] as const) {
    const seen = new Map<string, number>();
    spec.members.forEach((member, index) => {
      const value = member[field];
      if (value === undefined) return;
      const first = seen.get(value);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['members', index, field],
          message: `duplicates members[${first}].${field} "${value}"; each member needs its own`,
        });
      } else {
        seen.set(value, index);
      }
    });
  }
  spec.members.forEach((member, index) => {
    const problem = nameLengthProblem(spec, member.name);
    if (problem) ctx.addIssue({ code: 'custom', path: ['members', index, 'name'], message: problem });
  });
  const { clientPort, peerPort, metricsPort } = spec.etcd;
  if (clientPort === peerPort) {
    ctx.addIssue({ code: 'custom', path: ['etcd', 'peerPort'], message: `must differ from etcd.clientPort (both ${clientPort})` });
  }
  if (metricsPort === clientPort || metricsPort === peerPort) {
    ctx.addIssue({ code: 'custom', path: ['etcd', 'metricsPort'], message: `must differ from the client and peer ports (got ${metricsPort})` });
  }
  const allowed = new Set<string>(spec.etcd.allowOwnedFlagOverrides);
  for (const flag of Object.keys(spec.etcd.extraArgs)) {
    if ((OWNED_ETCD_FLAGS as readonly string[]).includes(flag) && !allowed.has(flag)) {
      ctx.addIssue({
        code: 'custom',
        path: ['etcd', 'extraArgs', flag],
        message: `overrides "--${flag}", which etcd-ha sets itself; list it in etcd.allowOwnedFlagOverrides to override it deliberately`,
      });
    }
  }
  if (spec.certificates.renewBeforeDays >= spec.certificates.validityDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['certificates', 'renewBeforeDays'],
      message: `must be less than certificates.validityDays (${spec.certificates.validityDays}), or every run would reissue`,
    });
  }
}

/** The spec schema with a deployment's policy (spec-policy.ts) on top: every problem, of both, in one answer. */
function clusterSpecSchemaUnder(policy: SpecPolicy) {
  return ClusterSpecFields.superRefine((spec, ctx) => {
    checkClusterRules(spec, ctx, 'odd');
    for (const { path, message } of specPolicyProblems(spec.etcd, policy)) ctx.addIssue({ code: 'custom', path: [...path], message });
  });
}

/**
 * Validates a cluster spec and fills its defaults; throws SpecValidationError naming each bad field. With a
 * policy (where a spec enters a workflow: Validate Spec), also what the deployment lets a spec run on its hosts.
 */
export function parseClusterSpec(input: unknown, policy?: SpecPolicy): ClusterSpec {
  return parseOrThrow(policy ? clusterSpecSchemaUnder(policy) : RequestedClusterSpecSchema, input, 'cluster spec');
}

/** The spec of a cluster as recorded: every rule but the odd size (a scale may have stopped between two odd sizes). */
export function parseRecordedClusterSpec(input: unknown): ClusterSpec {
  return parseOrThrow(ClusterSpecSchema, input, 'recorded cluster spec');
}
