#!/usr/bin/env bash
# Local stand-in for `aws secretsmanager get-secret-value --query SecretString --output text --secret-id ID`:
# host-scripts/fetch-member-pki.sh runs it as ETCD_HA_SECRET_FETCH with the secret id appended, and it
# prints the secret's value as kept by adapters/local/file-secret-store.ts.
#
# Usage: read-secret.sh ID
# Inputs (environment):
#   ETCD_HA_SECRET_DIR  required: the file secret store's dir; secret ID is the file $ETCD_HA_SECRET_DIR/ID
# ID is the secret's name (e.g. etcd-ha/demo/member-infra0): relative, no "..", [A-Za-z0-9._/-] only, and
# it must resolve to a regular file inside ETCD_HA_SECRET_DIR. Errors never print the value.
set -euo pipefail

die() {
  printf 'read-secret: %s\n' "$*" >&2
  exit 1
}

[[ $# -eq 1 ]] || {
  printf 'usage: %s ID\n' "$0" >&2
  exit 2
}
id="$1"
[[ -n "${ETCD_HA_SECRET_DIR:-}" ]] || die "ETCD_HA_SECRET_DIR is required (the file secret store's dir)"
[[ "$ETCD_HA_SECRET_DIR" == /* ]] || die "ETCD_HA_SECRET_DIR must be an absolute path, got '$ETCD_HA_SECRET_DIR'"
[[ -n "$id" && "$id" != /* ]] || die "secret id must be a relative name such as etcd-ha/demo/ca, got '$id'"
[[ "/$id/" != */../* ]] || die "secret id must not contain '..', got '$id'"
[[ "$id" =~ ^[A-Za-z0-9._/-]+$ ]] || die "secret id may hold only letters, digits, '.', '_', '-' and '/', got '$id'"

dir="$(realpath -e -- "$ETCD_HA_SECRET_DIR" 2>/dev/null)" || die "secret dir $ETCD_HA_SECRET_DIR does not exist"
file="$(realpath -e -- "$dir/$id" 2>/dev/null)" || die "secret $id not found in $ETCD_HA_SECRET_DIR"
[[ "$file" == "$dir"/* ]] || die "secret $id resolves outside $ETCD_HA_SECRET_DIR"
[[ -f "$file" ]] || die "secret $id is not a file"
cat -- "$file"
