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
_lib_on_exit() {
  local status=$?
  if declare -F script_cleanup >/dev/null; then script_cleanup || true; fi
  rm -rf -- "$WORK_DIR"
  exit "$status"
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
