// The per-host steps of the guide: Configure Kubelet → Push Certificates → Write Etcd Config →
// Start Etcd. Each renders what the host needs (pure core) and runs one idempotent host script.
import { buildHostCommand } from '../host-scripts';
import { parseOrThrow } from '../core/parse';
import { renderKubeletDropIn } from '../core/render/kubelet';
import { renderKubeadmConfig } from '../core/render/kubeadm-config';
import { renderEtcdEnvFile, renderEtcdUnit } from '../core/render/systemd';
import { etcdSettingsDigest } from '../core/render/settings-digest';
import type { EtcdFlagsRequest } from '../core/etcd-flags';
import { HostScriptFailedError } from '../core/errors';
import type { StepDeps } from './deps';
import { HostStepInputSchema, type HostStepInput } from './inputs';
import { runOnHost } from './run-on-host';

type HostStepDeps = Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds' | 'secretRegion'>;

export interface HostStepResult {
  readonly host: string;
  /** The script's last lines ("changed …", "unchanged …"): what the step did, for the console. */
  readonly report: string[];
}

export interface WriteEtcdConfigResult extends HostStepResult {
  /**
   * The settings a running etcd would see (etcdSettingsDigest) differ from those it was last (re)started with, or
   * were never applied (kubeadm: or its static pod manifest is missing): Start Etcd will (re)start it. False when
   * only bootstrap-only flags (initial-cluster, -state, -token) changed, or nothing did.
   */
  readonly restartNeeded: boolean;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function flagsRequest(input: HostStepInput): EtcdFlagsRequest {
  return {
    spec: input.spec,
    member: input.host,
    clusterState: input.clusterState,
    initialCluster: input.hosts,
    ...(input.clusterToken != null && { initialClusterToken: input.clusterToken }),
    ...(input.host.root !== undefined && { root: input.host.root }),
  };
}

function hostStep(title: string, deps: HostStepDeps, command: (input: HostStepInput) => string) {
  return async (raw: unknown): Promise<HostStepResult> => {
    const input = parseOrThrow(HostStepInputSchema, raw, `${title} input`);
    const result = await runOnHost(deps, title, input.host, command(input));
    return { host: input.host.name, report: result.stdoutTail.trim().split('\n').slice(-8) };
  };
}

const RESTART_NEEDED_LINE = /^restart-needed=(true|false)$/;

/** Write Etcd Config's verdict from the last line the write script prints ("restart-needed=true|false"). */
export function restartNeededOf(title: string, result: HostStepResult): WriteEtcdConfigResult {
  const verdict = RESTART_NEEDED_LINE.exec(result.report.at(-1)?.trim() ?? '')?.[1];
  if (verdict === undefined) {
    throw new HostScriptFailedError(
      `${title} on ${result.host}: the script did not end with a restart-needed=true|false line; its last lines:\n${result.report.join('\n')}`,
    );
  }
  return { ...result, restartNeeded: verdict === 'true' };
}

export function makeHostSteps(deps: HostStepDeps) {
  const writeEtcdConfig = hostStep('Write Etcd Config', deps, (input) => {
    const request = flagsRequest(input);
    const common = {
      CLUSTER_STATE: input.clusterState,
      DATA_DIR: input.spec.etcd.dataDir,
      SETTINGS_SHA256: etcdSettingsDigest(request),
      RUNNING_MEMBER: String(input.runningMember),
    };
    if (input.spec.runtime === 'kubeadm') {
      return buildHostCommand('write-etcd-config-kubeadm', { ...common, KUBEADM_CONFIG_B64: b64(renderKubeadmConfig(request)) });
    }
    return buildHostCommand('write-etcd-config-systemd', {
      ...common,
      ETCD_ENV_B64: b64(renderEtcdEnvFile(request)),
      ETCD_UNIT_B64: b64(renderEtcdUnit(input.spec)),
    });
  });
  return {
    configureKubelet: hostStep('Configure Kubelet', deps, ({ spec }) => {
      const dropIn = renderKubeletDropIn(spec);
      return buildHostCommand('configure-kubelet', { KUBELET_CONFIG_B64: b64(dropIn.config), KUBELET_DROPIN_B64: b64(dropIn.dropIn) });
    }),
    pushCertificates: hostStep('Push Certificates', deps, ({ host, pki }) =>
      // The host fetches its own member secret: no key material travels in the command.
      buildHostCommand(['fetch-member-pki', 'install-pki'], {
        MEMBER_SECRET_ID: pki.members[host.name] ?? '',
        ...(deps.secretRegion && { SECRET_REGION: deps.secretRegion }),
      }),
    ),
    writeEtcdConfig: async (raw: unknown): Promise<WriteEtcdConfigResult> => restartNeededOf('Write Etcd Config', await writeEtcdConfig(raw)),
    startEtcd: hostStep('Start Etcd', deps, ({ spec }) =>
      buildHostCommand(spec.runtime === 'kubeadm' ? 'start-etcd-kubeadm' : 'start-etcd-systemd', {}),
    ),
  };
}
