#!/usr/bin/env bash
# kubeadm runtime: writes this member's kubeadm config and the digest of its settings. Never runs kubeadm:
# start-etcd-kubeadm.sh (the next state, Start Etcd) runs `kubeadm init phase etcd local` with it.
#
# Inputs:
#   KUBEADM_CONFIG_B64  per-host kubeadm config -> /etc/etcd-ha/kubeadmcfg.yaml (0600)
#   SETTINGS_SHA256     digest of what a running etcd would see of it (etcdSettingsDigest: the bootstrap-only
#                       flags initial-cluster, -state and -token left out) -> /etc/etcd-ha/etcd-settings.sha256 (0644)
#   CLUSTER_STATE       new | existing (existing = joining a running cluster)
#   DATA_DIR            etcd's data dir as in the spec, e.g. /var/lib/etcd (prefixed with ETCD_HA_ROOT here)
#   WIPE_DATA_DIR       true | false (default false): when joining with a non-empty data dir, move it aside
#                       to DATA_DIR.removed-<UTC timestamp> instead of refusing
#   RUNNING_MEMBER      true | false (default false): the member on this host is a running member of the cluster
#                       and the data dir is its own: no join-safety check, nothing is ever moved aside (neither
#                       the data dir nor the static pod manifest). Refused together with WIPE_DATA_DIR=true.
# Join safety: only when the config is new or changed (so re-running an already started member is never
# refused) and RUNNING_MEMBER is not true, joining (existing) with a non-empty data dir is refused unless
# WIPE_DATA_DIR=true; then the old static pod manifest is first moved out of the manifests dir (so that kubelet
# stops the old etcd), the data dir is moved aside and the applied stamp (/etc/etcd-ha/applied-etcd.sha256) is
# removed. Member data is never deleted. A refusal installs nothing.
# Last line of output: restart-needed=true when the applied stamp (the settings digest kubeadm last applied,
# written by Start Etcd) is missing or differs from SETTINGS_SHA256, or when the static pod manifest
# /etc/kubernetes/manifests/etcd.yaml is missing; else restart-needed=false.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var KUBEADM_CONFIG_B64
require_settings_digest SETTINGS_SHA256
require_var DATA_DIR
[[ "${CLUSTER_STATE:-}" == new || "${CLUSTER_STATE:-}" == existing ]] ||
  die "CLUSTER_STATE must be new or existing, got '${CLUSTER_STATE:-}'"
WIPE_DATA_DIR="${WIPE_DATA_DIR:-false}"
require_bool WIPE_DATA_DIR
RUNNING_MEMBER="${RUNNING_MEMBER:-false}"
require_bool RUNNING_MEMBER
[[ "$RUNNING_MEMBER" != true || "$WIPE_DATA_DIR" != true ]] ||
  die "refusing RUNNING_MEMBER=true with WIPE_DATA_DIR=true: a running member's data dir is never moved aside"

CONFIG_FILE="$(host_path /etc/etcd-ha/kubeadmcfg.yaml)"
SETTINGS_FILE="$(host_path /etc/etcd-ha/etcd-settings.sha256)"
STAMP="$(host_path /etc/etcd-ha/applied-etcd.sha256)"
MANIFEST="$(host_path /etc/kubernetes/manifests/etcd.yaml)"
DATA="$(host_path "$DATA_DIR")"

config="$(decode_b64 "$KUBEADM_CONFIG_B64" KUBEADM_CONFIG_B64)"
if [[ "$RUNNING_MEMBER" != true ]] && differs "$config" "$CONFIG_FILE"; then
  if [[ "$CLUSTER_STATE" == existing && "$WIPE_DATA_DIR" == true && -f "$MANIFEST" ]] && ! data_dir_is_empty "$DATA"; then
    # Take the old static pod away from kubelet first (a file left in the manifests dir would still be
    # read, whatever its name), so that the old process stops using the data dir being moved.
    ensure_dir "$(host_path /etc/etcd-ha)"
    old_manifest="$(host_path /etc/etcd-ha)/etcd.yaml.removed-$(utc_stamp)"
    mv -- "$MANIFEST" "$old_manifest" || die "cannot move $MANIFEST aside"
    log "moved the old static pod manifest aside to $old_manifest"
  fi
  check_join_safety "$CLUSTER_STATE" "$DATA" "$WIPE_DATA_DIR"
fi

install_file "$CONFIG_FILE" 0600 <"$config"
install_file "$SETTINGS_FILE" 0644 <<<"$SETTINGS_SHA256"
if anything_changed; then
  log "kubeadm config written (cluster state: $CLUSTER_STATE); Start Etcd applies it"
else
  log "kubeadm config already up to date, nothing changed"
fi
if differs "$SETTINGS_FILE" "$STAMP" || [[ ! -f "$MANIFEST" ]]; then
  log "restart-needed=true"
else
  log "restart-needed=false"
fi
