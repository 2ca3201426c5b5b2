#!/usr/bin/env bash
# kubeadm runtime: runs `kubeadm init phase etcd local` with the config write-etcd-config-kubeadm.sh wrote;
# kubeadm writes the etcd static pod manifest and kubelet runs (or restarts) etcd from it.
#
# Inputs:
#   KUBEADM  kubeadm command (default kubeadm)
# /etc/etcd-ha/etcd-settings.sha256 (written by Write Etcd Config) holds the digest of what a running etcd would
# see of the config (the bootstrap-only flags left out); the stamp /etc/etcd-ha/applied-etcd.sha256 holds the digest
# last applied. kubeadm runs when they differ (or there is no stamp) or when the manifest is missing; otherwise
# nothing happens, also when only initial-cluster, initial-cluster-state or initial-cluster-token changed in the
# config (etcd reads them only with an empty data dir, so kubelet need not restart the static pod for them).
# The stamp is written only after kubeadm succeeded. On failure the last 30 lines of kubelet's journal go
# to stderr.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

KUBEADM="${KUBEADM:-kubeadm}"
CONFIG_FILE="$(host_path /etc/etcd-ha/kubeadmcfg.yaml)"
SETTINGS_FILE="$(host_path /etc/etcd-ha/etcd-settings.sha256)"
MANIFEST="$(host_path /etc/kubernetes/manifests/etcd.yaml)"
STAMP="$(host_path /etc/etcd-ha/applied-etcd.sha256)"
TAIL_LINES=30

for file in "$CONFIG_FILE" "$SETTINGS_FILE"; do
  [[ -f "$file" ]] || die "$file does not exist; write the configuration first (write-etcd-config-kubeadm, Write Etcd Config)"
done

if ! differs "$SETTINGS_FILE" "$STAMP" && [[ -f "$MANIFEST" ]]; then
  log "etcd already configured ($MANIFEST exists and its settings are unchanged since they were applied), nothing restarted"
  exit 0
fi

log "running $KUBEADM init phase etcd local --config $CONFIG_FILE"
if ! "$KUBEADM" init phase etcd local --config "$CONFIG_FILE"; then
  if command -v journalctl >/dev/null; then
    printf 'last %s lines of journalctl -u kubelet:\n' "$TAIL_LINES" >&2
    journalctl -u kubelet -n "$TAIL_LINES" --no-pager >&2 || true
  fi
  die "$KUBEADM init phase etcd local failed (config: $CONFIG_FILE)"
fi
install_file "$STAMP" 0644 <"$SETTINGS_FILE"
log "etcd static pod manifest written to $MANIFEST; kubelet runs etcd from it"
