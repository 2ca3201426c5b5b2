#!/usr/bin/env bash
# systemd runtime (and local mode): writes etcd's environment file, its unit and the digest of its settings, and
# creates the data dir. Never starts or restarts etcd: start-etcd-systemd.sh (the next state, Start Etcd) applies
# what is written.
#
# Inputs:
#   ETCD_ENV_B64     EnvironmentFile of ETCD_* settings -> /etc/etcd/etcd.conf (0600)
#   ETCD_UNIT_B64    systemd unit                        -> /etc/systemd/system/etcd.service (0644)
#   SETTINGS_SHA256  digest of what a running etcd would see of the two (etcdSettingsDigest: the bootstrap-only
#                    flags initial-cluster, -state and -token left out) -> /etc/etcd-ha/etcd-settings.sha256 (0644)
#   CLUSTER_STATE    new | existing (existing = joining a running cluster)
#   DATA_DIR         etcd's data dir as in the spec, e.g. /var/lib/etcd (prefixed with ETCD_HA_ROOT here); 0700
#   WIPE_DATA_DIR    true | false (default false): when joining with a non-empty data dir, stop etcd and move
#                    the data dir aside to DATA_DIR.removed-<UTC timestamp> instead of refusing
#   RUNNING_MEMBER   true | false (default false): the member on this host is a running member of the cluster
#                    and the data dir is its own: no join-safety check, nothing is ever moved aside. Refused
#                    together with WIPE_DATA_DIR=true.
# Join safety: only when the env file is new or changed (so re-running an already started member is never
# refused) and RUNNING_MEMBER is not true, joining (existing) with a non-empty data dir is refused unless
# WIPE_DATA_DIR=true; member data is never deleted. A refusal installs nothing. A data dir moved aside also
# removes the applied stamp (/etc/etcd-ha/applied-etcd.sha256): the member starts afresh.
# Last line of output: restart-needed=true when the applied stamp (the settings digest etcd was last
# (re)started with, written by Start Etcd) is missing or differs from SETTINGS_SHA256, else restart-needed=false.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var ETCD_ENV_B64
require_var ETCD_UNIT_B64
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

ENV_FILE="$(host_path /etc/etcd/etcd.conf)"
UNIT_FILE="$(host_path /etc/systemd/system/etcd.service)"
SETTINGS_FILE="$(host_path /etc/etcd-ha/etcd-settings.sha256)"
STAMP="$(host_path /etc/etcd-ha/applied-etcd.sha256)"
DATA="$(host_path "$DATA_DIR")"

env_content="$(decode_b64 "$ETCD_ENV_B64" ETCD_ENV_B64)"
unit_content="$(decode_b64 "$ETCD_UNIT_B64" ETCD_UNIT_B64)"
if [[ "$RUNNING_MEMBER" != true ]] && differs "$env_content" "$ENV_FILE"; then
  if [[ "$CLUSTER_STATE" == existing && "$WIPE_DATA_DIR" == true ]] && ! data_dir_is_empty "$DATA" &&
    service_is_active etcd; then
    # The old process must not keep writing into the data dir being moved.
    service stop etcd
  fi
  check_join_safety "$CLUSTER_STATE" "$DATA" "$WIPE_DATA_DIR"
fi

install_file "$ENV_FILE" 0600 <"$env_content"
install_file "$UNIT_FILE" 0644 <"$unit_content"
install_file "$SETTINGS_FILE" 0644 <<<"$SETTINGS_SHA256"

if [[ ! -d "$DATA" ]]; then
  ensure_dir "$(dirname -- "$DATA")"
  mkdir -m 0700 -- "$DATA" || die "cannot create data dir $DATA"
  log "created data dir $DATA"
elif [[ "$(file_mode "$DATA")" != 700 ]]; then
  chmod 0700 -- "$DATA" || die "cannot chmod data dir $DATA"
  log "set mode 0700 on data dir $DATA"
fi

if anything_changed; then
  log "etcd configuration written (cluster state: $CLUSTER_STATE); Start Etcd applies it"
else
  log "etcd configuration already up to date, nothing changed"
fi
if differs "$SETTINGS_FILE" "$STAMP"; then
  log "restart-needed=true"
else
  log "restart-needed=false"
fi
