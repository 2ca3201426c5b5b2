#!/usr/bin/env bash
# The joining host of a replacement: no etcd runs there and its data dir is empty, so that the member it
# starts joins the cluster fresh (a data dir of a removed member makes etcd exit with "member has been
# permanently removed"; a learner's leftovers make a re-run start as the removed learner).
#
# Inputs:
#   MODE           prepare: before any membership change. A non-empty data dir is refused, or moved aside
#                  when WIPE_DATA_DIR=true.
#                  reset: after a failure whose learner was removed again. Its data dir holds nothing but
#                  that learner's copy, so it is always moved aside.
#   RUNTIME        systemd | kubeadm: how etcd runs there (a unit, or kubelet's static pod)
#   DATA_DIR       etcd's data dir as in the spec, e.g. /var/lib/etcd (prefixed with ETCD_HA_ROOT here)
#   WIPE_DATA_DIR  true | false (default false), MODE=prepare only
# etcd is stopped first: systemd: the unit; kubeadm: the static pod manifest is moved out of kubelet's
# manifest dir (kubelet then stops the pod; its process must be gone within 60 s). Then the stamp of the settings
# the stopped etcd was started with (/etc/etcd-ha/applied-etcd.sha256) is removed: the member that joins next
# starts afresh, so Write Etcd Config says restart-needed=true and Start Etcd (re)starts etcd rather than taking
# its settings for applied. Nothing else is deleted: what is moved aside is renamed to
# <path>.removed-<UTC timestamp>.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var DATA_DIR
[[ "${MODE:-}" == prepare || "${MODE:-}" == reset ]] || die "MODE must be prepare or reset, got '${MODE:-}'"
[[ "${RUNTIME:-}" == systemd || "${RUNTIME:-}" == kubeadm ]] || die "RUNTIME must be systemd or kubeadm, got '${RUNTIME:-}'"
WIPE_DATA_DIR="${WIPE_DATA_DIR:-false}"
require_bool WIPE_DATA_DIR

DATA="$(host_path "$DATA_DIR")"
stop_etcd "$RUNTIME"
forget_applied_settings
if data_dir_is_empty "$DATA"; then
  log "data dir $DATA is empty"
elif [[ "$MODE" == reset || "$WIPE_DATA_DIR" == true ]]; then
  moved="$(move_aside "$DATA")"
  log "moved data dir $DATA aside to $moved"
else
  die "refusing to join: data dir $DATA is not empty (it may belong to a removed member); set wipeDataDir in the request to move it aside"
fi
