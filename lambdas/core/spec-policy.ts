// What a deployment lets a spec run on its hosts: the image registries kubeadm may pull etcd from (the image runs
// privileged with the PKI mounted), the directories the systemd unit may start etcd from (as root), and the
// security-sensitive etcd flags (spec-security-flags.ts) extraArgs may set. Fixed at deploy time (CDK context →
// stack → the Validate Spec function's SPEC_POLICY; locally, the local composition root), never by the spec.
import { z } from 'zod';
import { ETCD_SECURITY_FLAGS, securityFlagProblems } from './spec-security-flags';
import { isBelow, unplainPathProblem } from './spec-host-paths';

export interface SpecPolicy {
  /** etcd.imageRepository must be one of these or lie below one ("registry.k8s.io" allows "registry.k8s.io/x"). */
  readonly imageRepositories: readonly string[];
  /** etcd.binaryPath must lie below one of these ("/opt/etcd" allows "/opt/etcd/v3.5.16/etcd"). */
  readonly binaryDirectories: readonly string[];
  /** Flags of ETCD_SECURITY_FLAGS that etcd.extraArgs may set after all. */
  readonly etcdSecurityFlags: readonly string[];
}

/** kubeadm's registry, and the usual places of an etcd binary (versioned ones below /opt/etcd). */
export const DEFAULT_SPEC_POLICY: SpecPolicy = {
  imageRepositories: ['registry.k8s.io'],
  binaryDirectories: ['/usr/local/bin', '/usr/bin', '/opt/etcd'],
  etcdSecurityFlags: [],
};

const REGISTRY_PATH = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/;

const directory = z.string().superRefine((dir, ctx) => {
  const problem = unplainPathProblem(dir);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  else if (dir === '/') ctx.addIssue({ code: 'custom', message: 'must not be "/" (that would allow every binary on the host)' });
});

/** A policy as the stack writes it into SPEC_POLICY (JSON); a list left out keeps its default. */
export const SpecPolicySchema = z.strictObject({
  imageRepositories: z.array(z.string().regex(REGISTRY_PATH, 'must be a registry path such as registry.k8s.io')).default([...DEFAULT_SPEC_POLICY.imageRepositories]),
  // binaryPath always has a value (its default): with no directory, every spec would be refused.
  binaryDirectories: z.array(directory).min(1, 'must name at least one directory (etcd.binaryPath always has a value)').default([...DEFAULT_SPEC_POLICY.binaryDirectories]),
  etcdSecurityFlags: z
    .array(z.enum(ETCD_SECURITY_FLAGS as [string, ...string[]], { error: 'must name a security-sensitive etcd flag (ETCD_SECURITY_FLAGS, lambdas/core/spec-security-flags.ts)' }))
    .default([]),
});

export interface PolicyProblem {
  /** Field path inside the spec, e.g. ['etcd', 'binaryPath']. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The spec's etcd settings a policy judges. */
export interface PolicedEtcdSettings {
  readonly imageRepository?: string | undefined;
  readonly binaryPath: string;
  readonly extraArgs: Readonly<Record<string, string>>;
}

const listed = (items: readonly string[]) => (items.length === 0 ? 'none (the deployment allows none)' : items.map((i) => `"${i}"`).join(', '));

/** What the policy refuses in these settings, each with its field and reason. */
export function specPolicyProblems(etcd: PolicedEtcdSettings, policy: SpecPolicy): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const repo = etcd.imageRepository;
  if (repo !== undefined && !policy.imageRepositories.some((allowed) => repo === allowed || repo.startsWith(`${allowed}/`))) {
    problems.push({
      path: ['etcd', 'imageRepository'],
      message: `"${repo}" is not an allowed registry (the image runs privileged with the etcd PKI mounted); allowed: ${listed(policy.imageRepositories)} (context allowedImageRepositories)`,
    });
  }
  const unplain = unplainPathProblem(etcd.binaryPath);
  if (unplain) {
    problems.push({ path: ['etcd', 'binaryPath'], message: unplain });
  } else if (!policy.binaryDirectories.some((dir) => isBelow(etcd.binaryPath, dir))) {
    problems.push({
      path: ['etcd', 'binaryPath'],
      message: `"${etcd.binaryPath}" is not below an allowed directory (the unit starts it as root); allowed: ${listed(policy.binaryDirectories)} (context allowedBinaryDirectories)`,
    });
  }
  for (const { flag, message } of securityFlagProblems(etcd.extraArgs, policy.etcdSecurityFlags)) {
    problems.push({ path: ['etcd', 'extraArgs', flag], message });
  }
  return problems;
}
