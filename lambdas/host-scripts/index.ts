// Builds the command text that runs one host script: `export VAR='value'` lines, then lib.sh, then the
// script body. The same text runs as an SSM Run Command (AWS-RunShellScript) and locally with `bash -c`.
// No key material ever goes into it: certificates travel through a staging dir (install-pki.sh).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOST_SCRIPTS = [
  'install-pki',
  'configure-kubelet',
  'start-etcd-kubeadm',
  'start-etcd-systemd',
] as const;

export type HostScriptName = (typeof HOST_SCRIPTS)[number];

/** Inputs every script understands (see lib.sh). */
export const COMMON_INPUTS = [
  /** Prefix of every host path; empty (default) = the real root. */
  'ETCD_HA_ROOT',
  /** Command used instead of systemctl (local mode: adapters/local/service-ctl.sh). */
  'ETCD_HA_SERVICE_CTL',
  /** Local mode: the etcd binary service-ctl.sh starts. */
  'ETCD_BINARY',
] as const;

export interface HostScriptInputs {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

/** The environment each script reads, besides COMMON_INPUTS. */
export const HOST_SCRIPT_INPUTS: Readonly<Record<HostScriptName, HostScriptInputs>> = {
  'install-pki': { required: ['PKI_BUNDLE_DIR'], optional: [] },
  'configure-kubelet': { required: ['KUBELET_CONFIG_B64', 'KUBELET_DROPIN_B64'], optional: [] },
  'start-etcd-kubeadm': {
    required: ['KUBEADM_CONFIG_B64', 'CLUSTER_STATE', 'DATA_DIR'],
    optional: ['WIPE_DATA_DIR', 'KUBEADM'],
  },
  'start-etcd-systemd': {
    required: ['ETCD_ENV_B64', 'ETCD_UNIT_B64', 'CLUSTER_STATE', 'DATA_DIR'],
    optional: ['WIPE_DATA_DIR'],
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
 * The command text that runs `script` with `env` on a host (`bash -c TEXT` locally, or as the command of
 * AWS-RunShellScript). Throws HostCommandInputError for an unknown script, a bad or unknown variable
 * name, a missing required input, a NUL character, or a value carrying a PEM private key.
 */
export function buildHostCommand(script: HostScriptName, env: Record<string, string>): string {
  if (!(HOST_SCRIPTS as readonly string[]).includes(script)) {
    throw new HostCommandInputError(`unknown host script "${script}"; expected one of ${HOST_SCRIPTS.join(', ')}`);
  }
  const inputs = HOST_SCRIPT_INPUTS[script];
  const allowed = new Set<string>([...COMMON_INPUTS, ...inputs.required, ...inputs.optional]);
  const names = Object.keys(env).sort();
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      throw new HostCommandInputError(`${script}: environment variable name "${name}" must match ${ENV_NAME}`);
    }
    if (!allowed.has(name)) {
      throw new HostCommandInputError(`${script}: unknown input ${name}; expected ${[...allowed].join(', ')}`);
    }
    const value = env[name];
    if (typeof value !== 'string') {
      throw new HostCommandInputError(`${script}: ${name} must be a string, got ${typeof value}`);
    }
    if (value.includes('\0')) {
      throw new HostCommandInputError(`${script}: ${name} contains a NUL character`);
    }
    const decoded = name.endsWith('_B64') ? Buffer.from(value, 'base64').toString('latin1') : value;
    if (looksLikePrivateKey(value) || looksLikePrivateKey(decoded)) {
      throw new HostCommandInputError(
        `${script}: ${name} carries a private key; command text must never hold key material`,
      );
    }
  }
  for (const name of inputs.required) {
    if (!env[name]) throw new HostCommandInputError(`${script}: input ${name} is required`);
  }
  const exports = names.map((name) => `export ${name}=${shellQuote(env[name] as string)}`);
  return [BASH_PREAMBLE, ...exports, readScript('lib.sh'), readScript(`${script}.sh`)].join('\n');
}
