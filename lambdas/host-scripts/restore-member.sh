#!/usr/bin/env bash
# RestoreCluster, per member, after etcd stopped on every host (stop-etcd-for-restore.sh) and fetch-snapshot.sh
# fetched and checked the snapshot (SNAPSHOT_FILE): the member's data dir is moved aside (never deleted) and the
# snapshot restored into a new one with lib.sh snapshot_restore: the member's recorded name, the peer URLs of every
# member's current address, and a new initial-cluster-token (so a new cluster ID); on etcd 3.5 with
# --bump-revision BUMP_REVISION --mark-compacted. The snapshot file is removed when done, also on failure.
#
# Inputs:
#   SNAPSHOT_FILE    the checked snapshot (fetch-snapshot.sh produces it)
#   RUNTIME          systemd | kubeadm
#   DATA_DIR         etcd's data dir as in the spec (prefixed with ETCD_HA_ROOT here)
#   MEMBER_NAME      the member's recorded name
#   INITIAL_CLUSTER  name=peer URL of every restored member, comma-separated
#   PEER_URLS        this member's peer URL(s)
#   RESTORE_TOKEN    the new cluster's initial-cluster-token. A data dir that already holds this restore (the marker
#                    /etc/etcd-ha/restored-token says so) is left as it is: a retried step converges.
#   BUMP_REVISION    how far etcdutl moves the revision on (0: not at all; etcd 3.4's etcdctl cannot)
#   ETCD_IMAGE       kubeadm: the etcd image whose etcdutl restores; default: the image of the member's static pod
#                    manifest (moved out of kubelet's manifest dir by stop_etcd)
# Prints the tool used, "moved data dir … aside to …", and "restored member …".
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

script_cleanup() {
  [[ -z "${SNAPSHOT_FILE:-}" ]] || rm -f -- "$SNAPSHOT_FILE"
}

for name in SNAPSHOT_FILE DATA_DIR MEMBER_NAME INITIAL_CLUSTER PEER_URLS RESTORE_TOKEN BUMP_REVISION; do require_var "$name"; done
[[ "${RUNTIME:-}" == systemd || "${RUNTIME:-}" == kubeadm ]] || die "RUNTIME must be systemd or kubeadm, got '${RUNTIME:-}'"
[[ "$BUMP_REVISION" =~ ^[0-9]+$ ]] || die "BUMP_REVISION must be a whole number, got '$BUMP_REVISION'"
[[ -f "$SNAPSHOT_FILE" ]] || die "snapshot file $SNAPSHOT_FILE does not exist"

DATA="$(host_path "$DATA_DIR")"
MARKER="$(host_path /etc/etcd-ha/restored-token)"
MANIFEST="$(host_path /etc/kubernetes/manifests/etcd.yaml)"

if [[ -f "$MARKER" && "$(cat -- "$MARKER")" == "$RESTORE_TOKEN" ]] && ! data_dir_is_empty "$DATA"; then
  log "data dir $DATA already holds this restore ($RESTORE_TOKEN): left as it is"
  exit 0
fi

# The old member must not run while its data dir moves: stop-etcd-for-restore.sh stopped it.
if [[ "$RUNTIME" == systemd ]]; then
  ! service_is_active etcd || die "etcd still runs on this host: stop it first (Stop Etcd For Restore)"
else
  [[ ! -f "$MANIFEST" ]] || die "etcd's static pod manifest is still in kubelet's manifest dir: stop etcd first (Stop Etcd For Restore)"
  if [[ -z "${ETCD_IMAGE:-}" ]]; then
    # The newest manifest stop_etcd moved out of the manifest dir names the image the member ran (the glob sorts
    # by the UTC stamp move_aside gave each: the last one is the newest).
    moved_manifest=""
    for candidate in "$(host_path /etc/kubernetes)"/etcd.yaml.removed-*; do
      [[ -f "$candidate" ]] && moved_manifest="$candidate"
    done
    [[ -n "$moved_manifest" ]] || die "ETCD_IMAGE is not given and no moved etcd manifest (/etc/kubernetes/etcd.yaml.removed-*) names the member's image"
    ETCD_IMAGE="$(sed -n 's/^[[:space:]]*image:[[:space:]]*//p' "$moved_manifest" | head -n 1 | tr -d "\"'")"
    [[ -n "$ETCD_IMAGE" ]] || die "no image: line in $moved_manifest"
    export ETCD_IMAGE
    log "restoring with the member's image $ETCD_IMAGE (from $moved_manifest)"
  fi
fi

rm -f -- "$MARKER"
if ! data_dir_is_empty "$DATA"; then
  moved="$(move_aside "$DATA")"
  log "moved data dir $DATA aside to $moved"
elif [[ -d "$DATA" ]]; then
  # Empty: nothing to keep; the restore creates the directory itself.
  rmdir -- "$DATA" || die "cannot remove the empty data dir $DATA"
fi
ensure_dir "$(dirname -- "$DATA")"

snapshot_restore "$SNAPSHOT_FILE" "$DATA" "$MEMBER_NAME" "$INITIAL_CLUSTER" "$PEER_URLS" "$RESTORE_TOKEN" "$BUMP_REVISION"
chmod 0700 -- "$DATA" || die "cannot chmod data dir $DATA"
install_file "$MARKER" 0644 <<<"$RESTORE_TOKEN"
forget_applied_settings
log "restored member $MEMBER_NAME into $DATA (cluster token $RESTORE_TOKEN)"
