// Builds the command text that runs host scripts: `export VAR='value'` lines, then lib.sh, then the script
// bodies in order, all in one bash process. The same text runs as an SSM Run Command (AWS-RunShellScript)
// and locally with `bash -c`. No key material ever goes into it: a host fetches its own member secret
// (fetch-member-pki) and installs it from a staging dir (install-pki) within one command.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOST_SCRIPTS = [
  'fetch-member-pki',
  'install-pki',
  'install-crl',
  'configure-kubelet',
  'write-etcd-config-kubeadm',
  'start-etcd-kubeadm',
  'write-etcd-config-systemd',
  'start-etcd-systemd',
  'collect-etcd-logs',
  'boot-status',
  'reset-joining-host',
  'fetch-snapshot',
  'restore-drill',
  // RestoreCluster
  'stop-etcd-for-restore',
  'restore-member',
  // AdoptCluster
  'inspect-adoptable-etcd',
  'upload-adopted-pki',
  'move-peer-url',
  // ConnectControlPlane
  'connect-kube-apiserver',
] as const;

export type HostScriptName = (typeof HOST_SCRIPTS)[number];

/** Inputs every script understands (see lib.sh). */
export const COMMON_INPUTS = [
  /** Prefix of every host path; empty (default) = the real root. */
  'ETCD_HA_ROOT',
  /** Command used instead of systemctl (local mode: adapters/local/service-ctl.sh). */
  'ETCD_HA_SERVICE_CTL',
] as const;

export interface HostScriptInputs {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** Variables the script sets and exports for the scripts after it in the same command. */
  readonly produces?: readonly string[];
}

/** The environment each script reads, besides COMMON_INPUTS. */
export const HOST_SCRIPT_INPUTS: Readonly<Record<HostScriptName, HostScriptInputs>> = {
  'fetch-member-pki': {
    required: ['MEMBER_SECRET_ID'],
    // ETCD_HA_SECRET_FETCH / ETCD_HA_SECRET_DIR: local mode (adapters/local/read-secret.sh); the local
    // host runner passes them in the process environment, tests may pass them here.
    optional: ['SECRET_REGION', 'ETCD_HA_SECRET_FETCH', 'ETCD_HA_SECRET_DIR'],
    produces: ['PKI_BUNDLE_DIR'],
  },
  'install-pki': { required: ['PKI_BUNDLE_DIR'], optional: [] },
  'install-crl': { required: ['CRL_PEM_B64'], optional: [] },
  'configure-kubelet': { required: ['KUBELET_CONFIG_B64', 'KUBELET_DROPIN_B64'], optional: [] },
  'write-etcd-config-kubeadm': {
    required: ['KUBEADM_CONFIG_B64', 'SETTINGS_SHA256', 'CLUSTER_STATE', 'DATA_DIR'],
    optional: ['WIPE_DATA_DIR', 'RUNNING_MEMBER'],
  },
  'start-etcd-kubeadm': { required: [], optional: ['KUBEADM'] },
  'write-etcd-config-systemd': {
    required: ['ETCD_ENV_B64', 'ETCD_UNIT_B64', 'SETTINGS_SHA256', 'CLUSTER_STATE', 'DATA_DIR'],
    optional: ['WIPE_DATA_DIR', 'RUNNING_MEMBER'],
  },
  'start-etcd-systemd': { required: [], optional: [] },
  'collect-etcd-logs': { required: [], optional: ['LINES'] },
  'reset-joining-host': { required: ['MODE', 'RUNTIME', 'DATA_DIR'], optional: ['WIPE_DATA_DIR'] },
  'boot-status': { required: [], optional: [] },
  // ETCD_HA_SNAPSHOT_FETCH: local mode (`cp --`), passed by the local host runner in the process environment.
  'fetch-snapshot': {
    required: ['SNAPSHOT_URI', 'SNAPSHOT_BYTES', 'SNAPSHOT_SHA256'],
    optional: ['SNAPSHOT_REGION', 'ETCD_HA_SNAPSHOT_FETCH'],
    produces: ['SNAPSHOT_FILE'],
  },
  // After fetch-snapshot in the same command. ETCD_IMAGE: kubeadm only (default: the member's static pod manifest's).
  'restore-drill': { required: ['SNAPSHOT_FILE', 'RUNTIME'], optional: ['DRILL_ADDRESS', 'BACKUP_REVISION', 'ETCD_IMAGE', 'ETCD_HA_CONTAINER_RUN'] },
  // RestoreCluster: etcd stopped on every host first, then each member restored from the fetched snapshot.
  'stop-etcd-for-restore': { required: ['RUNTIME', 'DATA_DIR', 'RESTORE_TOKEN'], optional: [] },
  // ETCD_HA_CONTAINER_RUN: the container runtime's CLI on kubeadm hosts (lib.sh snapshot_restore; tests pass a stand-in).
  'restore-member': {
    required: ['SNAPSHOT_FILE', 'RUNTIME', 'DATA_DIR', 'MEMBER_NAME', 'INITIAL_CLUSTER', 'PEER_URLS', 'RESTORE_TOKEN', 'BUMP_REVISION'],
    optional: ['ETCD_IMAGE', 'ETCD_HA_CONTAINER_RUN'],
  },
  // AdoptCluster. Read-only: the facts (manifest, etcd's answers, data size, PKI expiry) on the last stdout line.
  // ETCD_HA_CURL: the curl command (tests may pass a stand-in).
  'inspect-adoptable-etcd': { required: [], optional: ['ETCD_HA_CURL'] },
  // The host puts its own PKI into the one-time upload secret (PkiUploadSlots). ETCD_HA_SECRET_PUT / ETCD_HA_SECRET_DIR:
  // local mode (adapters/local/write-secret.sh); the local host runner passes them in the process environment.
  'upload-adopted-pki': { required: ['UPLOAD_SECRET_ID'], optional: ['SECRET_REGION', 'ETCD_HA_SECRET_PUT', 'ETCD_HA_SECRET_DIR'] },
  // After member update: the static pod listens on and advertises PEER_URL (one restart). ETCD_HA_STATIC_POD_SYNC:
  // local mode (adapters/local/local-kubelet.sh, kubelet's stand-in), passed by the local host runner.
  'move-peer-url': { required: ['PEER_URL', 'CLIENT_URL'], optional: ['WAIT_SECONDS', 'ETCD_HA_STATIC_POD_SYNC', 'ETCD_HA_CURL'] },
  // ConnectControlPlane, one host at a time: kube-apiserver's etcd flags, the restart, its health endpoint.
  // ETCD_HA_APISERVER_SYNC: local mode (adapters/local/local-apiserver-kubelet.sh), passed by the local host runner.
  'connect-kube-apiserver': {
    required: ['ETCD_SERVERS'],
    optional: ['ETCD_CAFILE', 'ETCD_CERTFILE', 'ETCD_KEYFILE', 'LIVEZ_URL', 'WAIT_SECONDS', 'ETCD_HA_APISERVER_SYNC'],
  },
};

/** The inputs given to buildHostCommand are not acceptable; the message names the variable. */
export class HostCommandInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostCommandInputError';
  }
}

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

// AWS-RunShellScript runs the command text with `sh` (dash on Debian/Ubuntu), which knows neither
// `set -o pipefail` nor `declare -F`: start over under bash. The agent runs the text from a file, so
// "$0" is that file; `bash -c TEXT` has BASH_VERSION set and skips this.
const BASH_PREAMBLE = [
  'if [ -z "${BASH_VERSION:-}" ]; then',
  '  if [ -f "$0" ]; then exec bash "$0" "$@"; fi',
  '  echo "this command must run with bash" >&2; exit 2',
  'fi',
].join('\n');

/** Wraps a value in single quotes for bash; a single quote inside becomes '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function readScript(file: string): string {
  return readFileSync(join(__dirname, file), 'utf8');
}

function looksLikePrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
}

/**
 * What a command running `scripts` in this order needs: `required` is the union of the scripts' required
 * inputs minus those an earlier script produces (fetch-member-pki produces PKI_BUNDLE_DIR for install-pki);
 * `optional` adds COMMON_INPUTS and the optional ones; `produces` may not be passed in.
 * Throws HostCommandInputError for an empty list, an unknown or repeated script, or an input a script
 * needs that only a later script produces.
 */
export function hostCommandInputs(scripts: readonly HostScriptName[]): Required<HostScriptInputs> {
  const label = scripts.join(' + ');
  if (scripts.length === 0) throw new HostCommandInputError('a host command needs at least one script');
  const required = new Set<string>();
  const optional = new Set<string>(COMMON_INPUTS);
  const produced = new Set<string>();
  for (const [index, script] of scripts.entries()) {
    if (!(HOST_SCRIPTS as readonly string[]).includes(script)) {
      throw new HostCommandInputError(`unknown host script "${script}"; expected one of ${HOST_SCRIPTS.join(', ')}`);
    }
    if (scripts.indexOf(script) !== index) throw new HostCommandInputError(`${label}: ${script} is listed twice`);
  }
  for (const [index, script] of scripts.entries()) {
    const inputs = HOST_SCRIPT_INPUTS[script];
    for (const name of inputs.required) {
      const later = scripts.slice(index + 1).find((next) => HOST_SCRIPT_INPUTS[next].produces?.includes(name));
      if (later !== undefined && !produced.has(name)) {
        throw new HostCommandInputError(`${label}: ${script} needs ${name}, which only the later ${later} produces; put ${later} first`);
      }
      if (!produced.has(name)) required.add(name);
    }
    for (const name of inputs.optional) if (!produced.has(name)) optional.add(name);
    for (const name of inputs.produces ?? []) produced.add(name);
  }
  for (const name of required) optional.delete(name);
  return { required: [...required], optional: [...optional], produces: [...produced] };
}

/**
 * The command text that runs `scripts` (one, or several in order in the same bash process) with `env` on a
 * host (`bash -c TEXT` locally, or as the command of AWS-RunShellScript), e.g.
 * `buildHostCommand(['fetch-member-pki', 'install-pki'], { MEMBER_SECRET_ID: name })`.
 * Throws HostCommandInputError for an unknown or repeated script, a bad or unknown variable name, a missing
 * required input, an input that a script of the command produces, a NUL character, or a value carrying a
 * PEM private key.
 */
export function buildHostCommand(
  scripts: HostScriptName | readonly HostScriptName[],
  env: Record<string, string>,
): string {
  const list: readonly HostScriptName[] = typeof scripts === 'string' ? [scripts] : scripts;
  const label = list.join(' + ');
  const inputs = hostCommandInputs(list);
  const allowed = new Set<string>([...inputs.required, ...inputs.optional]);
  const names = Object.keys(env).sort();
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      throw new HostCommandInputError(`${label}: environment variable name "${name}" must match ${ENV_NAME}`);
    }
    if (inputs.produces.includes(name)) {
      throw new HostCommandInputError(`${label}: ${name} is set by a script of this command; do not pass it`);
    }
    if (!allowed.has(name)) {
      throw new HostCommandInputError(`${label}: unknown input ${name}; expected ${[...allowed].join(', ')}`);
    }
    const value = env[name];
    if (typeof value !== 'string') {
      throw new HostCommandInputError(`${label}: ${name} must be a string, got ${typeof value}`);
    }
    if (value.includes('\0')) {
      throw new HostCommandInputError(`${label}: ${name} contains a NUL character`);
    }
    const decoded = name.endsWith('_B64') ? Buffer.from(value, 'base64').toString('latin1') : value;
    if (looksLikePrivateKey(value) || looksLikePrivateKey(decoded)) {
      throw new HostCommandInputError(
        `${label}: ${name} carries a private key; command text must never hold key material`,
      );
    }
  }
  for (const name of inputs.required) {
    if (!env[name]) throw new HostCommandInputError(`${label}: input ${name} is required`);
  }
  const exports = names.map((name) => `export ${name}=${shellQuote(env[name] as string)}`);
  const text = [BASH_PREAMBLE, ...exports, readScript('lib.sh'), ...list.map((script) => readScript(`${script}.sh`))].join('\n');
  // The scripts themselves never spell it out either, so that "no PRIVATE KEY in a command" is checkable.
  if (text.includes('PRIVATE KEY')) {
    throw new HostCommandInputError(`${label}: the command text mentions PRIVATE KEY; command text must never hold key material`);
  }
  return text;
}
