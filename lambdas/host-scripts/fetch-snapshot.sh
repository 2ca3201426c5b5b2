#!/usr/bin/env bash
# Fetches a staged backup snapshot with the host's own credentials (on AWS: its instance role may read only the copy
# tagged with its own instance ARN) and checks it before anything uses it: its size, and etcd's SHA-256 trailer (the
# SHA-256 of the file without its last 32 bytes) against the manifest's. The command text carries only where the
# copy is and what it must be; the scripts after it in the same command use SNAPSHOT_FILE, which is removed when
# the command ends.
#
# Inputs:
#   SNAPSHOT_URI            where the staged copy is: s3://bucket/key (AWS), or a file path (local mode)
#   SNAPSHOT_BYTES          its size in bytes, the trailer included
#   SNAPSHOT_SHA256         the trailer in lowercase hex, as the backup's manifest has it
#   SNAPSHOT_REGION         region of the bucket, exported as AWS_REGION for the aws CLI (default: the CLI's own)
#   ETCD_HA_SNAPSHOT_FETCH  the fetch command, word-split, called with the URI and the destination (default
#                           aws s3 cp --only-show-errors; local mode: cp --)
# Produces:
#   SNAPSHOT_FILE           a 0600 file under ${ETCD_HA_ROOT}/var/lib/etcd-ha/snapshots (a disk: snapshots are GBs),
#                           removed when the command ends, however it ends (lib.sh remove_on_exit).
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var SNAPSHOT_URI
require_var SNAPSHOT_BYTES
require_var SNAPSHOT_SHA256
[[ "$SNAPSHOT_URI" =~ ^(s3://[a-z0-9][a-z0-9.-]+/|/)[A-Za-z0-9/_.:=+@-]+$ ]] ||
  die "SNAPSHOT_URI must be s3://bucket/key or an absolute path, got '$SNAPSHOT_URI'"
if [[ ! "$SNAPSHOT_BYTES" =~ ^[1-9][0-9]*$ ]] || ((SNAPSHOT_BYTES <= 32)); then
  die "SNAPSHOT_BYTES must be a size in bytes above 32 (etcd's trailer), got '$SNAPSHOT_BYTES'"
fi
[[ "$SNAPSHOT_SHA256" =~ ^[0-9a-f]{64}$ ]] || die "SNAPSHOT_SHA256 must be a sha256 in lowercase hex (64 digits), got '$SNAPSHOT_SHA256'"
if [[ -n "${SNAPSHOT_REGION:-}" ]]; then
  [[ "$SNAPSHOT_REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "SNAPSHOT_REGION must be a region such as us-east-1, got '$SNAPSHOT_REGION'"
  export AWS_REGION="$SNAPSHOT_REGION"
fi
SNAPSHOT_FETCH="${ETCD_HA_SNAPSHOT_FETCH:-aws s3 cp --only-show-errors}"
export AWS_PAGER=""

SNAPSHOTS_DIR="$(host_path /var/lib/etcd-ha/snapshots)"
ensure_dir "$SNAPSHOTS_DIR"
chmod 0700 -- "$SNAPSHOTS_DIR"
SNAPSHOT_FILE="$(mktemp -- "$SNAPSHOTS_DIR/$SNAPSHOT_SHA256.XXXXXX.db")" || die "cannot create a file in $SNAPSHOTS_DIR"
chmod 0600 -- "$SNAPSHOT_FILE"
export SNAPSHOT_FILE

# The snapshot holds every key of the cluster: it never outlives this command (the scripts after it use it).
remove_on_exit "$SNAPSHOT_FILE"

# shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_SNAPSHOT_FETCH is a command plus its leading arguments
$SNAPSHOT_FETCH "$SNAPSHOT_URI" "$SNAPSHOT_FILE" || die "cannot fetch the snapshot $SNAPSHOT_URI with: $SNAPSHOT_FETCH"

size="$(stat -c '%s' -- "$SNAPSHOT_FILE")"
[[ "$size" == "$SNAPSHOT_BYTES" ]] || die "the snapshot fetched from $SNAPSHOT_URI has $size bytes, its manifest says $SNAPSHOT_BYTES"
trailer="$(tail -c 32 -- "$SNAPSHOT_FILE" | od -An -v -tx1 | tr -d ' \n')"
body="$(head -c "$((size - 32))" -- "$SNAPSHOT_FILE" | sha256sum)"
body="${body%% *}"
[[ "$trailer" == "$SNAPSHOT_SHA256" ]] || die "the snapshot fetched from $SNAPSHOT_URI ends with the trailer $trailer, its manifest says $SNAPSHOT_SHA256"
[[ "$body" == "$SNAPSHOT_SHA256" ]] || die "the snapshot fetched from $SNAPSHOT_URI is corrupt: its SHA-256 is $body, its trailer says $SNAPSHOT_SHA256"
log "fetched snapshot $SNAPSHOT_URI ($size bytes, SHA-256 checked) to $SNAPSHOT_FILE"
