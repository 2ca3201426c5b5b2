#!/usr/bin/env bash
# kubeadm runtime: writes this member's kubeadm config and runs `kubeadm init phase etcd local`, which
# writes the etcd static pod manifest that kubelet then runs.
#
# Inputs:
#   KUBEADM_CONFIG_B64  per-host kubeadm config -> /etc/etcd-ha/kubeadmcfg.yaml (0600)
#   CLUSTER_STATE       new | existing (existing = joining a running cluster)
#   DATA_DIR            etcd's data dir as in the spec, e.g. /var/lib/etcd (prefixed with ETCD_HA_ROOT here)
#   WIPE_DATA_DIR       true | false (default false): when joining with a non-empty data dir, move it aside
#                       to DATA_DIR.removed-<UTC timestamp> instead of refusing
#   KUBEADM             kubeadm command (default kubeadm)
# Config unchanged and the manifest present: nothing to do. Joining (existing) with a non-empty data dir
# is refused unless WIPE_DATA_DIR=true; member data is never deleted.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var KUBEADM_CONFIG_B64
require_var DATA_DIR
[[ "${CLUSTER_STATE:-}" == new || "${CLUSTER_STATE:-}" == existing ]] ||
  die "CLUSTER_STATE must be new or existing, got '${CLUSTER_STATE:-}'"
WIPE_DATA_DIR="${WIPE_DATA_DIR:-false}"
require_bool WIPE_DATA_DIR
KUBEADM="${KUBEADM:-kubeadm}"

CONFIG_FILE="$(host_path /etc/etcd-ha/kubeadmcfg.yaml)"
MANIFEST="$(host_path /etc/kubernetes/manifests/etcd.yaml)"
DATA="$(host_path "$DATA_DIR")"

config="$(decode_b64 "$KUBEADM_CONFIG_B64" KUBEADM_CONFIG_B64)"
if ! differs "$config" "$CONFIG_FILE" && [[ -f "$MANIFEST" ]]; then
  install_file "$CONFIG_FILE" 0600 <"$config"
  log "etcd already configured ($MANIFEST exists and $CONFIG_FILE is unchanged), nothing restarted"
  exit 0
fi

if [[ "$CLUSTER_STATE" == existing ]] && ! data_dir_is_empty "$DATA" && [[ "$WIPE_DATA_DIR" == true && -f "$MANIFEST" ]]; then
  # Take the old static pod away from kubelet first (a file left in the manifests dir would still be
  # read, whatever its name), so that the old process stops using the data dir being moved.
  ensure_dir "$(host_path /etc/etcd-ha)"
  old_manifest="$(host_path /etc/etcd-ha)/etcd.yaml.removed-$(utc_stamp)"
  mv -- "$MANIFEST" "$old_manifest" || die "cannot move $MANIFEST aside"
  log "moved the old static pod manifest aside to $old_manifest"
fi
check_join_safety "$CLUSTER_STATE" "$DATA" "$WIPE_DATA_DIR"

install_file "$CONFIG_FILE" 0600 <"$config"
log "running $KUBEADM init phase etcd local --config $CONFIG_FILE"
"$KUBEADM" init phase etcd local --config "$CONFIG_FILE" || die "$KUBEADM init phase etcd local failed (config: $CONFIG_FILE)"
log "etcd static pod manifest written to $MANIFEST (cluster state: $CLUSTER_STATE)"
