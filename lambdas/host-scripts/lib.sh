#!/usr/bin/env bash
# Helpers shared by the host scripts. The caller prepends this file to a script body (after the
# `export VAR='value'` lines), so it is never sourced by path: see index.ts (buildHostCommand).
#
# Common inputs:
#   ETCD_HA_ROOT         prefix of every host path; empty (default) = the real root.
#   ETCD_HA_SERVICE_CTL  command used for daemon-reload/enable/start/restart/stop/is-active
#                        (default systemctl; local mode passes adapters/local/service-ctl.sh).
set -euo pipefail

ETCD_HA_ROOT="${ETCD_HA_ROOT:-}"
ETCD_HA_ROOT="${ETCD_HA_ROOT%/}"
SERVICE_CTL="${ETCD_HA_SERVICE_CTL:-systemctl}"
# 1 once any install_* call has replaced a file's content during this run.
CHANGED=0

log() {
  printf '%s\n' "$*"
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# require_var NAME: dies unless the input variable NAME is set and non-empty.
require_var() {
  [[ -n "${!1:-}" ]] || die "input $1 is required"
}

# require_bool NAME: the input must be "true" or "false".
require_bool() {
  case "${!1:-}" in
    true | false) ;;
    *) die "input $1 must be true or false, got '${!1:-}'" ;;
  esac
}

[[ -z "$ETCD_HA_ROOT" || "$ETCD_HA_ROOT" == /* ]] || die "ETCD_HA_ROOT must be an absolute path, got '$ETCD_HA_ROOT'"

# host_path ABS: the path ABS on this host, below ETCD_HA_ROOT.
host_path() {
  [[ "$1" == /* ]] || die "path must be absolute: $1"
  [[ "/$1/" != */../* ]] || die "path must not contain '..': $1"
  printf '%s%s' "$ETCD_HA_ROOT" "$1"
}

# ensure_dir DIR: creates DIR and any missing parents with mode 0755; existing dirs are left as they are.
ensure_dir() {
  [[ -d "$1" ]] && return 0
  # umask 022 gives every created component (parents included) mode 0755.
  (umask 022 && mkdir -p -- "$1") || die "cannot create directory $1"
}

is_root() {
  [[ "$EUID" -eq 0 ]]
}

# file_mode FILE: the permission bits in octal, e.g. 600.
file_mode() {
  stat -c '%a' -- "$1"
}

file_owner() {
  stat -c '%u:%g' -- "$1"
}

# Scratch space for decoded inputs; removed on exit. A script that needs its own cleanup defines a
# function named script_cleanup, which runs first.
WORK_DIR="$(mktemp -d)"
# Paths removed when the command ends, however it ends (remove_on_exit): e.g. a fetched snapshot, which holds every
# key of the cluster and must never outlive the command that uses it.
_LIB_REMOVE_ON_EXIT=()
_lib_on_exit() {
  local status=$?
  if declare -F script_cleanup >/dev/null; then script_cleanup || true; fi
  if ((${#_LIB_REMOVE_ON_EXIT[@]} > 0)); then rm -rf -- "${_LIB_REMOVE_ON_EXIT[@]}" || true; fi
  rm -rf -- "$WORK_DIR"
  exit "$status"
}

# remove_on_exit PATH: PATH is removed when the command ends, success or failure.
remove_on_exit() {
  _LIB_REMOVE_ON_EXIT+=("$1")
}
trap _lib_on_exit EXIT

# decode_b64 B64 INPUT_NAME: writes the decoded text to a new file under WORK_DIR and prints its path.
decode_b64() {
  local out
  out="$(mktemp -p "$WORK_DIR")"
  printf '%s' "$1" | base64 -d >"$out" 2>/dev/null || die "$2 is not valid base64"
  printf '%s' "$out"
}

# differs FILE DEST: succeeds when DEST is missing or its content differs from FILE's.
differs() {
  ! cmp -s -- "$1" "$2"
}

# install_file DEST MODE < content
# Writes stdin to a temp file next to DEST and moves it into place only when the content differs.
# Prints "changed DEST" or "unchanged DEST"; a content change sets CHANGED=1.
# Mode (and owner root:root when running as root) are corrected on an unchanged file too, without
# counting as a change: nothing needs restarting for that. Never prints the content.
install_file() {
  local dest="$1" mode="$2" dir tmp
  [[ "$mode" =~ ^0[0-7]{3}$ ]] || die "install_file: mode must look like 0644, got '$mode' for $dest"
  [[ ! -d "$dest" ]] || die "$dest is a directory, expected a file"
  dir="$(dirname -- "$dest")"
  ensure_dir "$dir"
  # mktemp creates the file 0600, so key material is never readable by others, not even briefly.
  tmp="$(mktemp -- "$dir/.$(basename -- "$dest").XXXXXX")" || die "cannot create a temp file in $dir"
  if ! cat >"$tmp"; then
    rm -f -- "$tmp"
    die "cannot write $dest"
  fi
  if [[ -f "$dest" ]] && ! differs "$tmp" "$dest"; then
    rm -f -- "$tmp"
    local fixed=()
    if [[ "$(file_mode "$dest")" != "${mode#0}" ]]; then
      chmod "$mode" -- "$dest" || die "cannot chmod $dest"
      fixed+=("mode $mode")
    fi
    if is_root && [[ "$(file_owner "$dest")" != "0:0" ]]; then
      chown root:root -- "$dest" || die "cannot chown $dest"
      fixed+=("owner root:root")
    fi
    if [[ "${#fixed[@]}" -gt 0 ]]; then
      log "unchanged $dest (corrected ${fixed[*]})"
    else
      log "unchanged $dest"
    fi
    return 0
  fi
  if ! chmod "$mode" -- "$tmp" || { is_root && ! chown root:root -- "$tmp"; } || ! mv -f -- "$tmp" "$dest"; then
    rm -f -- "$tmp"
    die "cannot replace $dest"
  fi
  CHANGED=1
  log "changed $dest"
}

# install_b64 DEST MODE B64 INPUT_NAME: install_file with the content given as base64 text.
install_b64() {
  local decoded
  decoded="$(decode_b64 "$3" "$4")"
  install_file "$1" "$2" <"$decoded"
}

# anything_changed: succeeds when some install_* call of this run replaced a file's content.
anything_changed() {
  [[ "$CHANGED" -eq 1 ]]
}

# data_dir_is_empty DIR: succeeds when DIR does not exist or holds no entries (hidden ones included).
data_dir_is_empty() {
  local dir="$1"
  [[ -e "$dir" ]] || return 0
  [[ -d "$dir" ]] || die "$dir exists but is not a directory"
  [[ -z "$(find "$dir" -mindepth 1 -maxdepth 1 -print -quit)" ]]
}

# utc_stamp: a UTC timestamp usable in a file name, e.g. 20250101T120000Z.
utc_stamp() {
  date -u +%Y%m%dT%H%M%SZ
}

# move_aside PATH: renames PATH to PATH.removed-<UTC timestamp> (never deletes it) and prints the new name.
move_aside() {
  local path="$1" target
  target="$path.removed-$(utc_stamp)"
  local n=1
  while [[ -e "$target" ]]; do
    target="$path.removed-$(utc_stamp)-$n"
    n=$((n + 1))
  done
  mv -- "$path" "$target" || die "cannot move $path aside to $target"
  printf '%s' "$target"
}

# check_join_safety CLUSTER_STATE DATA_DIR WIPE
# A member joining an existing cluster must start with an empty data dir (a data dir left by a removed
# member makes etcd exit with "member has been permanently removed"). Refuses unless WIPE=true, in which
# case the old data dir is moved aside, never deleted. Callers stop etcd before calling this with WIPE=true.
check_join_safety() {
  local state="$1" dir="$2" wipe="$3"
  [[ "$state" == existing ]] || return 0
  data_dir_is_empty "$dir" && return 0
  if [[ "$wipe" != true ]]; then
    die "refusing to join an existing cluster: data dir $dir is not empty (it may belong to a removed member); set WIPE_DATA_DIR=true to move it aside"
  fi
  local moved
  moved="$(move_aside "$dir")"
  log "moved non-empty data dir $dir aside to $moved"
  forget_applied_settings
}

# forget_applied_settings: removes the stamp of the settings etcd was last (re)started with
# (/etc/etcd-ha/applied-etcd.sha256), for an etcd that is stopped for good or whose data dir was moved aside:
# the member that starts next starts afresh, so Write Etcd Config then says restart-needed=true and Start
# Etcd (re)starts it instead of taking its settings for applied.
forget_applied_settings() {
  local stamp
  stamp="$(host_path /etc/etcd-ha/applied-etcd.sha256)"
  [[ -e "$stamp" ]] || return 0
  rm -f -- "$stamp" || die "cannot remove $stamp"
  log "removed $stamp (the next start of etcd applies its settings afresh)"
}

# require_settings_digest NAME: the input must be a sha256 in lowercase hex (etcdSettingsDigest).
require_settings_digest() {
  [[ "${!1:-}" =~ ^[0-9a-f]{64}$ ]] || die "input $1 must be a sha256 in lowercase hex (64 digits), got '${!1:-}'"
}

# service_is_active UNIT
service_is_active() {
  "$SERVICE_CTL" is-active --quiet "$1"
}

# service CMD [UNIT]: runs the service manager and dies with a clear message when it fails.
service() {
  log "$SERVICE_CTL $*"
  "$SERVICE_CTL" "$@" || die "$SERVICE_CTL $* failed"
}

# stop_etcd RUNTIME: no etcd of this host runs afterwards. systemd: the unit is stopped. kubeadm: the static pod
# manifest is moved out of kubelet's manifest dir (kubelet would run any file left in it; kubelet then stops the pod)
# and its process must be gone within 60 s. Nothing is deleted.
stop_etcd() {
  local runtime="$1"
  if [[ "$runtime" == systemd ]]; then
    if service_is_active etcd; then
      service stop etcd
    else
      log "etcd is not running"
    fi
    return 0
  fi
  [[ "$runtime" == kubeadm ]] || die "stop_etcd: RUNTIME must be systemd or kubeadm, got '$runtime'"
  local manifest moved i
  manifest="$(host_path /etc/kubernetes/manifests/etcd.yaml)"
  if [[ -f "$manifest" ]]; then
    moved="$(move_aside "$manifest")"
    mv -- "$moved" "$(host_path /etc/kubernetes)/$(basename -- "$moved")" || die "cannot move $moved out of the manifest dir"
    log "moved etcd's static pod manifest out of kubelet's manifest dir; kubelet stops the pod"
  fi
  for ((i = 0; i < 60; i++)); do
    pgrep -x etcd >/dev/null || {
      log "no etcd process runs"
      return 0
    }
    sleep 1
  done
  die "etcd still runs 60 s after its static pod manifest was removed"
}

# etcd_tools_dir: the directory of the etcd binary the systemd unit runs (the first word of the unit's last
# ExecStart= line, on this host, symlinks resolved): its etcdutl (3.5) or etcdctl (3.4) sits beside it, so a
# snapshot is restored and read by the tool of the member's own version.
etcd_tools_dir() {
  local unit exec binary
  unit="$(host_path /etc/systemd/system/etcd.service)"
  [[ -f "$unit" ]] || die "no etcd unit at $unit: cannot tell which etcd this host runs"
  exec="$(grep -E '^ExecStart=.+' -- "$unit" | tail -n 1)"
  exec="${exec#ExecStart=}"
  binary="${exec%% *}"
  [[ "$binary" == /* ]] || die "the etcd unit's ExecStart does not name an absolute path: '$exec'"
  binary="$(readlink -f -- "$(host_path "$binary")")" || die "cannot resolve the etcd binary $binary of $unit"
  [[ -x "$binary" ]] || die "the etcd binary $binary the unit names is not executable"
  dirname -- "$binary"
}

# snapshot_restore SNAPSHOT_FILE DATA_DIR NAME INITIAL_CLUSTER PEER_URLS TOKEN BUMP_REVISION
# Restores a backend snapshot into DATA_DIR (which must not exist yet) as member NAME, with the member's own tool:
#   systemd  etcdutl beside the member's etcd (3.5), else etcdctl there (3.4: no --bump-revision; logged);
#   kubeadm  etcdutl from the member's image (ETCD_IMAGE), run by the container runtime's CLI
#            (ETCD_HA_CONTAINER_RUN, word-split, default containerd's ctr) with the snapshot's and data dir's parents
#            mounted at the same paths.
# BUMP_REVISION > 0 adds --bump-revision N --mark-compacted (etcdutl only), so that watchers never see revisions go
# back. The tool checks the snapshot's SHA-256 trailer itself (no --skip-hash-check). Prints the tool it used.
snapshot_restore() {
  local snapshot="$1" data_dir="$2" name="$3" cluster="$4" peer_urls="$5" token="$6" bump="$7"
  [[ -f "$snapshot" ]] || die "snapshot_restore: no snapshot file at $snapshot"
  [[ ! -e "$data_dir" ]] || die "snapshot_restore: $data_dir exists; a restore needs a data dir that does not exist yet"
  [[ "$bump" =~ ^[0-9]+$ ]] || die "snapshot_restore: BUMP_REVISION must be a whole number, got '$bump'"
  local args=(snapshot restore "$snapshot" --data-dir "$data_dir" --name "$name" --initial-cluster "$cluster"
    --initial-advertise-peer-urls "$peer_urls" --initial-cluster-token "$token")
  local bump_args=()
  ((bump > 0)) && bump_args=(--bump-revision "$bump" --mark-compacted)
  ensure_dir "$(dirname -- "$data_dir")"
  if [[ "${RUNTIME:-systemd}" == kubeadm ]]; then
    [[ -n "${ETCD_IMAGE:-}" ]] || die "snapshot_restore: ETCD_IMAGE (the member's etcd image) is required on kubeadm"
    local run_cli="${ETCD_HA_CONTAINER_RUN:-ctr -n k8s.io run --rm --net-host}" snap_dir data_parent
    snap_dir="$(dirname -- "$snapshot")"
    data_parent="$(dirname -- "$data_dir")"
    log "restoring with etcdutl from $ETCD_IMAGE ($run_cli)"
    # shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_CONTAINER_RUN is a command plus its leading arguments
    $run_cli --mount "type=bind,src=$snap_dir,dst=$snap_dir,options=rbind:ro" \
      --mount "type=bind,src=$data_parent,dst=$data_parent,options=rbind:rw" \
      "$ETCD_IMAGE" "etcd-ha-restore-$$" etcdutl "${args[@]}" "${bump_args[@]}" ||
      die "etcdutl snapshot restore from $ETCD_IMAGE failed"
    return 0
  fi
  local tools
  tools="$(etcd_tools_dir)"
  if [[ -x "$tools/etcdutl" ]]; then
    log "restoring with $tools/etcdutl ($("$tools/etcdutl" version 2>/dev/null | head -n 1))"
    "$tools/etcdutl" "${args[@]}" "${bump_args[@]}" || die "etcdutl snapshot restore failed"
  elif [[ -x "$tools/etcdctl" ]]; then
    ((bump == 0)) || log "etcdctl $("$tools/etcdctl" version 2>/dev/null | head -n 1) cannot bump the revision (etcd 3.4): restoring without"
    log "restoring with $tools/etcdctl"
    ETCDCTL_API=3 "$tools/etcdctl" "${args[@]}" || die "etcdctl snapshot restore failed"
  else
    die "neither etcdutl nor etcdctl beside the member's etcd in $tools"
  fi
}

# kubeadm's etcd static pod manifest on this host (kubelet runs any file in its dir).
kubeadm_etcd_manifest() {
  host_path /etc/kubernetes/manifests/etcd.yaml
}

# static_pod_flags MANIFEST: the flags of the manifest's etcd command, one "name value" line each, in order, from
# its "    - --name=value" lines (quotes around a line dropped). kubeadm writes every flag in that form.
static_pod_flags() {
  sed -n -E 's/^[[:space:]]*-[[:space:]]+"?--([a-z0-9-]+)=([^"]*)"?[[:space:]]*$/\1 \2/p' -- "$1"
}

# etcd_mtls_curl CURL_ARGS...: curl (ETCD_HA_CURL, word-split, default curl) over mTLS with this host's kubeadm
# healthcheck client pair, trusting kubeadm's etcd CA (which the client and the peer listeners both trust). HTTP/1.1:
# etcd's peer listener breaks off the HTTP/2 stream curl would otherwise negotiate.
etcd_mtls_curl() {
  local pki
  pki="$(host_path /etc/kubernetes/pki/etcd)"
  # shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_CURL is a command plus its leading arguments
  ${ETCD_HA_CURL:-curl} -sS --http1.1 --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/healthcheck-client.crt" \
    --key "$pki/healthcheck-client.key" "$@"
}
