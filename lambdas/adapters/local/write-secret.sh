#!/usr/bin/env bash
# Local stand-in for `aws secretsmanager put-secret-value --secret-id ID --secret-string file://FILE`:
# host-scripts/upload-adopted-pki.sh runs it as ETCD_HA_SECRET_PUT with the secret id and the file appended, and it
# stores FILE's content as the secret's value the way adapters/local/file-secret-store.ts keeps secrets.
#
# Usage: write-secret.sh ID FILE
# Inputs (environment):
#   ETCD_HA_SECRET_DIR  required: the file secret store's dir; secret ID is the file $ETCD_HA_SECRET_DIR/ID
#   ETCD_HA_ROOT        required: the root dir of the host that puts the value
# The grant (what the instance-ARN tag and the host policy are on AWS): the file $ETCD_HA_SECRET_DIR/ID.upload-grant
# must exist and its one line must be the real path of ETCD_HA_ROOT; a host may put a value only into a slot opened
# for it. ID follows read-secret.sh's rules. The value is written atomically (a temp file beside it, then a
# rename), mode 0600, new dirs 0700. Nothing prints the value.
set -euo pipefail

die() {
  printf 'write-secret: %s\n' "$*" >&2
  exit 1
}

[[ $# -eq 2 ]] || {
  printf 'usage: %s ID FILE\n' "$0" >&2
  exit 2
}
id="$1"
source_file="$2"
[[ -n "${ETCD_HA_SECRET_DIR:-}" ]] || die "ETCD_HA_SECRET_DIR is required (the file secret store's dir)"
[[ "$ETCD_HA_SECRET_DIR" == /* ]] || die "ETCD_HA_SECRET_DIR must be an absolute path, got '$ETCD_HA_SECRET_DIR'"
[[ -n "${ETCD_HA_ROOT:-}" ]] || die "ETCD_HA_ROOT is required (the root dir of the host that puts the value)"
[[ -n "$id" && "$id" != /* ]] || die "secret id must be a relative name such as etcd-ha/demo/adopt/cp-1, got '$id'"
[[ "/$id/" != */../* ]] || die "secret id must not contain '..', got '$id'"
[[ "$id" =~ ^[A-Za-z0-9._/-]+$ ]] || die "secret id may hold only letters, digits, '.', '_', '-' and '/', got '$id'"
[[ -f "$source_file" ]] || die "no file to put at $source_file"

dir="$(realpath -e -- "$ETCD_HA_SECRET_DIR" 2>/dev/null)" || die "secret dir $ETCD_HA_SECRET_DIR does not exist"
host_root="$(realpath -e -- "$ETCD_HA_ROOT" 2>/dev/null)" || die "host root $ETCD_HA_ROOT does not exist"
grant="$dir/$id.upload-grant"
granted=""
if [[ -f "$grant" ]]; then IFS= read -r granted <"$grant" || true; fi
[[ -n "$granted" && "$granted" == "$host_root" ]] || die "no upload grant for this host ($host_root) on secret $id"

target="$dir/$id"
target_dir="$(dirname -- "$target")"
(umask 077 && mkdir -p -- "$target_dir") || die "cannot create $target_dir"
[[ "$(realpath -e -- "$target_dir")/" == "$dir"/* ]] || die "secret $id resolves outside $ETCD_HA_SECRET_DIR"
[[ ! -L "$target" && ! -d "$target" ]] || die "secret $id is a link or a dir, not a value"
tmp="$(mktemp -- "$target_dir/.$(basename -- "$target").XXXXXX")" || die "cannot create a temp file in $target_dir"
if ! { cat -- "$source_file" >"$tmp" && chmod 0600 -- "$tmp" && mv -f -- "$tmp" "$target"; }; then
  rm -f -- "$tmp"
  die "cannot write secret $id"
fi
