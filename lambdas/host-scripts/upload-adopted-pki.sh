#!/usr/bin/env bash
# AdoptCluster (Receive Member PKI): the adopted host puts its own kubeadm PKI, its CA pair included, into the
# one-time upload secret with its own credentials (on AWS: its instance role, allowed to put into an adopt/ secret
# tagged with its own ARN, never to read one). The key material goes from the files into a 0600 file under /run
# (a tmpfs on a real host) and from there to the put command; it never reaches the command text, stdout or stderr.
#
# Inputs:
#   UPLOAD_SECRET_ID    name or ARN of the upload secret (PkiUploadSlots.open)
#   SECRET_REGION       region of the secret, exported as AWS_REGION for the aws CLI (default: the CLI's own)
#   ETCD_HA_SECRET_PUT  the put command, word-split, with the secret id and the file appended (default: aws
#                       secretsmanager put-secret-value --secret-id ID --secret-string file://FILE); local mode:
#                       adapters/local/write-secret.sh
# The value (same layout as lambdas/core/pki/member-bundle.ts, another header):
#   # etcd-ha adoption upload, format 1: files of /etc/kubernetes/pki, each after a "=== <path> <mode>" line
#   === etcd/ca.crt 0644
#   ...
#   === END
# Files: etcd/{ca,server,peer,healthcheck-client}.{crt,key} (all required) and apiserver-etcd-client.{crt,key}
# (both or neither); .key 0600, .crt 0644. A file that is missing, empty or holds a line starting with "===" is
# refused before anything is put. The last stdout line is ETCD_HA_UPLOAD_SHA256=<sha256 of the exact value put>,
# which the step compares with the value it reads back.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var UPLOAD_SECRET_ID
[[ "$UPLOAD_SECRET_ID" =~ ^[A-Za-z0-9/_+=.@:-]+$ ]] ||
  die "UPLOAD_SECRET_ID must be a secret name or ARN, got '$UPLOAD_SECRET_ID'"
if [[ -n "${SECRET_REGION:-}" ]]; then
  [[ "$SECRET_REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "SECRET_REGION must be a region such as us-east-1, got '$SECRET_REGION'"
  export AWS_REGION="$SECRET_REGION"
fi

put_with_aws_cli() {
  AWS_PAGER="" aws secretsmanager put-secret-value --secret-id "$1" --secret-string "file://$2" --query VersionId --output text
}
SECRET_PUT="${ETCD_HA_SECRET_PUT:-put_with_aws_cli}"

HEADER='# etcd-ha adoption upload, format 1: files of /etc/kubernetes/pki, each after a "=== <path> <mode>" line'
PKI="$(host_path /etc/kubernetes/pki)"
FILES=(etcd/ca.crt etcd/ca.key etcd/server.crt etcd/server.key etcd/peer.crt etcd/peer.key
  etcd/healthcheck-client.crt etcd/healthcheck-client.key)

for file in "${FILES[@]}"; do
  [[ -f "$PKI/$file" ]] || die "$PKI/$file is missing: a kubeadm etcd has it, and the adoption needs it"
done
if [[ -f "$PKI/apiserver-etcd-client.crt" && -f "$PKI/apiserver-etcd-client.key" ]]; then
  FILES+=(apiserver-etcd-client.crt apiserver-etcd-client.key)
elif [[ -f "$PKI/apiserver-etcd-client.crt" || -f "$PKI/apiserver-etcd-client.key" ]]; then
  die "only one of $PKI/apiserver-etcd-client.crt and .key exists: both or neither"
fi
for file in "${FILES[@]}"; do
  [[ -s "$PKI/$file" ]] || die "$PKI/$file is empty"
  # A line starting with "===" would end the file early for whoever reads the value.
  ! grep -q '^===' -- "$PKI/$file" || die "$PKI/$file holds a line starting with \"===\": not a PEM file"
done

STAGING="$(host_path /run/etcd-ha)"
ensure_dir "$STAGING"
# mktemp makes it 0600; lib.sh removes it when the command ends, however it ends.
UPLOAD_FILE="$(mktemp -- "$STAGING/adopt-upload.XXXXXX")" || die "cannot create a temp file in $STAGING"
remove_on_exit "$UPLOAD_FILE"
{
  printf '%s\n' "$HEADER"
  for file in "${FILES[@]}"; do
    mode=0644
    [[ "$file" == *.key ]] && mode=0600
    printf '=== %s %s\n' "$file" "$mode"
    cat -- "$PKI/$file"
    # A file without a final line break gets one, so that the next "===" line starts a line.
    [[ "$(tail -c 1 -- "$PKI/$file" | wc -l)" -eq 1 ]] || printf '\n'
  done
  printf '=== END\n'
} >"$UPLOAD_FILE" || die "cannot write $UPLOAD_FILE"
digest="$(sha256sum -- "$UPLOAD_FILE" | cut -d ' ' -f 1)"

put_err="$(mktemp -p "$WORK_DIR")"
# The put command's stdout (the aws CLI's version ID) is not needed: the digest says what was put.
# shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_SECRET_PUT is a command plus its leading arguments
if ! $SECRET_PUT "$UPLOAD_SECRET_ID" "$UPLOAD_FILE" >/dev/null 2>"$put_err"; then
  # Its own error (access denied, not found, no credentials) helps; a value never shows.
  if grep -q 'PRIVATE[ ]KEY' -- "$put_err"; then
    echo "(the put command's error output is withheld: it mentions key material)" >&2
  else
    tail -n 20 -- "$put_err" >&2
  fi
  die "cannot put the PKI into the upload secret $UPLOAD_SECRET_ID with: $SECRET_PUT"
fi
log "uploaded ${#FILES[@]} files of $PKI to $UPLOAD_SECRET_ID"
log "ETCD_HA_UPLOAD_SHA256=$digest"
