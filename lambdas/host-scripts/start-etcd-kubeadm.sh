#!/usr/bin/env bash
# kubeadm runtime: runs `kubeadm init phase etcd local` with the config write-etcd-config-kubeadm.sh wrote;
# kubeadm writes the etcd static pod manifest and kubelet runs (or restarts) etcd from it.
#
# Inputs:
#   KUBEADM  kubeadm command (default kubeadm)
# The stamp /etc/etcd-ha/applied-etcd.sha256 holds the sha256 of the config last applied. kubeadm runs when
# the config differs from it (or there is none) or when the manifest is missing; otherwise nothing happens.
# The stamp is written only after kubeadm succeeded. On failure the last 30 lines of kubelet's journal go
# to stderr.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

KUBEADM="${KUBEADM:-kubeadm}"
CONFIG_FILE="$(host_path /etc/etcd-ha/kubeadmcfg.yaml)"
MANIFEST="$(host_path /etc/kubernetes/manifests/etcd.yaml)"
STAMP="$(host_path /etc/etcd-ha/applied-etcd.sha256)"
TAIL_LINES=30

[[ -f "$CONFIG_FILE" ]] || die "$CONFIG_FILE does not exist; write the configuration first (write-etcd-config-kubeadm, Write Etcd Config)"

digest="$(mktemp -p "$WORK_DIR")"
sum="$(sha256sum <"$CONFIG_FILE")" || die "cannot read $CONFIG_FILE"
printf '%s  /etc/etcd-ha/kubeadmcfg.yaml\n' "${sum%% *}" >"$digest"

if ! differs "$digest" "$STAMP" && [[ -f "$MANIFEST" ]]; then
  log "etcd already configured ($MANIFEST exists and $CONFIG_FILE is unchanged since it was applied), nothing restarted"
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
install_file "$STAMP" 0644 <"$digest"
log "etcd static pod manifest written to $MANIFEST; kubelet runs etcd from it"
