#!/usr/bin/env bash
# systemd runtime (and local mode, through adapters/local/service-ctl.sh): applies what
# write-etcd-config-systemd.sh wrote, (re)starting etcd only when needed.
#
# Inputs: only the common ones (ETCD_HA_ROOT, ETCD_HA_SERVICE_CTL).
# /etc/etcd-ha/etcd-settings.sha256 (written by Write Etcd Config) holds the digest of what a running etcd would
# see of the env file and the unit (the bootstrap-only flags left out); the stamp /etc/etcd-ha/applied-etcd.sha256
# holds the digest etcd was last (re)started with. They differ (or there is no stamp): daemon-reload, enable,
# restart. Same, etcd not active: start. Same and active: nothing ("already running, nothing restarted"), also
# when only initial-cluster, initial-cluster-state or initial-cluster-token changed in the env file (etcd reads
# them only with an empty data dir). The stamp is written only after the service manager succeeded, so a re-run
# after a failed start tries again.
# On failure the last 30 lines of etcd's log go to stderr (local mode: ${ETCD_HA_ROOT}/var/log/etcd-ha/etcd.log;
# a real host: journalctl -u etcd).
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

ENV_FILE="$(host_path /etc/etcd/etcd.conf)"
UNIT_FILE="$(host_path /etc/systemd/system/etcd.service)"
SETTINGS_FILE="$(host_path /etc/etcd-ha/etcd-settings.sha256)"
STAMP="$(host_path /etc/etcd-ha/applied-etcd.sha256)"
LOCAL_LOG="$(host_path /var/log/etcd-ha/etcd.log)"
TAIL_LINES=30

for file in "$ENV_FILE" "$UNIT_FILE" "$SETTINGS_FILE"; do
  [[ -f "$file" ]] || die "$file does not exist; write the configuration first (write-etcd-config-systemd, Write Etcd Config)"
done

etcd_log_tail() {
  if [[ -f "$LOCAL_LOG" ]]; then
    printf 'last %s lines of %s:\n' "$TAIL_LINES" "$LOCAL_LOG"
    tail -n "$TAIL_LINES" -- "$LOCAL_LOG" || true
  elif command -v journalctl >/dev/null; then
    printf 'last %s lines of journalctl -u etcd:\n' "$TAIL_LINES"
    journalctl -u etcd -n "$TAIL_LINES" --no-pager 2>&1 || true
  else
    printf 'no etcd log to show (neither %s nor journalctl)\n' "$LOCAL_LOG"
  fi
}

# apply CMD [UNIT]: like lib.sh's service, but shows etcd's log before dying.
apply() {
  log "$SERVICE_CTL $*"
  if ! "$SERVICE_CTL" "$@"; then
    etcd_log_tail >&2
    die "$SERVICE_CTL $* failed"
  fi
}

if differs "$SETTINGS_FILE" "$STAMP"; then
  apply daemon-reload
  apply enable etcd
  apply restart etcd
  install_file "$STAMP" 0644 <"$SETTINGS_FILE"
  log "etcd restarted with the configuration in $ENV_FILE"
elif service_is_active etcd; then
  log "etcd already running with the configuration in $ENV_FILE, nothing restarted"
else
  apply start etcd
  log "etcd started (it was not running; its configuration is unchanged)"
fi
