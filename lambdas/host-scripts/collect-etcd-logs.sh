#!/usr/bin/env bash
# Prints the last lines of this member's etcd log, for a member that never got healthy. Read-only; exits 0
# also when no log is found (it says so).
#
# Inputs:
#   LINES  how many lines (default 40, at most 5000)
# Sources, first match wins:
#   local mode       ${ETCD_HA_ROOT}/var/log/etcd-ha/etcd.log (written by adapters/local/service-ctl.sh)
#   systemd runtime  journalctl -u etcd (the etcd unit file exists)
#   kubeadm runtime  journalctl -u kubelet, plus `crictl logs` of the newest etcd container when crictl exists
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

LINES="${LINES:-40}"
[[ "$LINES" =~ ^[1-9][0-9]{0,3}$ && "$LINES" -le 5000 ]] || die "LINES must be a number from 1 to 5000, got '$LINES'"

LOCAL_LOG="$(host_path /var/log/etcd-ha/etcd.log)"
UNIT_FILE="$(host_path /etc/systemd/system/etcd.service)"
have() {
  command -v "$1" >/dev/null
}

if [[ -f "$LOCAL_LOG" ]]; then
  log "== last $LINES lines of $LOCAL_LOG"
  tail -n "$LINES" -- "$LOCAL_LOG"
elif [[ -f "$UNIT_FILE" ]] && have journalctl; then
  log "== journalctl -u etcd -n $LINES"
  journalctl -u etcd -n "$LINES" --no-pager 2>&1 || true
elif have journalctl || have crictl; then
  if have journalctl; then
    log "== journalctl -u kubelet -n $LINES"
    journalctl -u kubelet -n "$LINES" --no-pager 2>&1 || true
  fi
  if have crictl; then
    container="$(crictl ps -a --name '^etcd$' -q 2>/dev/null | head -n 1)" || true
    if [[ -n "${container:-}" ]]; then
      log "== crictl logs --tail $LINES $container (etcd container)"
      crictl logs --tail "$LINES" "$container" 2>&1 || true
    else
      log "== no etcd container found by crictl"
    fi
  fi
else
  log "no etcd log found: no $LOCAL_LOG, no journalctl, no crictl"
fi
