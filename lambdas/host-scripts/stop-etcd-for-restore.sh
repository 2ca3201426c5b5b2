#!/usr/bin/env bash
# RestoreCluster, before any member is restored: etcd stops on every member's host (lib.sh stop_etcd), so that no
# member of the old cluster keeps running beside the restored one. Nothing is moved or deleted here: restore-member.sh
# moves the data dir aside afterwards. The stamp of the settings etcd was started with is removed, so that Start Etcd
# starts the restored member instead of taking its settings for applied.
#
# Inputs:
#   RUNTIME        systemd | kubeadm
#   DATA_DIR       etcd's data dir as in the spec (prefixed with ETCD_HA_ROOT here)
#   RESTORE_TOKEN  the restore's initial-cluster-token: a host whose data dir already holds this restore (a re-run of
#                  the same restore, which may have started it) is left as it is.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var DATA_DIR
require_var RESTORE_TOKEN
[[ "${RUNTIME:-}" == systemd || "${RUNTIME:-}" == kubeadm ]] || die "RUNTIME must be systemd or kubeadm, got '${RUNTIME:-}'"

DATA="$(host_path "$DATA_DIR")"
MARKER="$(host_path /etc/etcd-ha/restored-token)"

if [[ -f "$MARKER" && "$(cat -- "$MARKER")" == "$RESTORE_TOKEN" ]] && ! data_dir_is_empty "$DATA"; then
  log "data dir $DATA already holds this restore ($RESTORE_TOKEN): etcd left as it is"
  exit 0
fi
stop_etcd "$RUNTIME"
forget_applied_settings
log "etcd stopped for the restore; data dir $DATA untouched"
