#!/usr/bin/env bash
# Fetches this host's own member PKI secret with the host's own credentials (on AWS: its instance role)
# and unpacks it into a fresh staging dir for install-pki.sh, which follows in the same command text:
#   buildHostCommand(['fetch-member-pki', 'install-pki'], { MEMBER_SECRET_ID: ... })
# The command text carries only the secret's name; the key material goes from the fetch command into a
# shell variable, from there into awk, and from awk into 0600 files. It never reaches stdout or stderr.
#
# Inputs:
#   MEMBER_SECRET_ID      name or ARN of the member secret (format: lambdas/core/pki/member-bundle.ts)
#   SECRET_REGION         region of the secret, exported as AWS_REGION for the aws CLI (default: the CLI's own)
#   ETCD_HA_SECRET_FETCH  the fetch command, word-split, with the secret id appended (default:
#                         aws secretsmanager get-secret-value --query SecretString --output text --secret-id);
#                         local mode: adapters/local/read-secret.sh (which reads ETCD_HA_SECRET_DIR)
# Produces:
#   PKI_BUNDLE_DIR        ${ETCD_HA_ROOT}/run/etcd-ha/pki-bundle.XXXXXX (0700, files 0600; /run is a tmpfs on a
#                         real host, so staged keys never touch a disk), exported for install-pki.sh, which
#                         removes it. Removed here as well when this script fails.
# Refuses, staging nothing, a bundle with a path that is absolute, has a "." or ".." component or other
# characters than [A-Za-z0-9._/-], a mode other than 0600/0644, a private key in a 0644 file, a CA key, a
# file listed twice, no files, or no "=== END" line (a truncated value). Same rules as decodeMemberBundle.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var MEMBER_SECRET_ID
[[ "$MEMBER_SECRET_ID" =~ ^[A-Za-z0-9/_+=.@:-]+$ ]] ||
  die "MEMBER_SECRET_ID must be a secret name or ARN, got '$MEMBER_SECRET_ID'"
if [[ -n "${SECRET_REGION:-}" ]]; then
  [[ "$SECRET_REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "SECRET_REGION must be a region such as us-east-1, got '$SECRET_REGION'"
  export AWS_REGION="$SECRET_REGION"
fi
SECRET_FETCH="${ETCD_HA_SECRET_FETCH:-aws secretsmanager get-secret-value --query SecretString --output text --secret-id}"
# aws CLI v2 may hand its output to a pager; the value must go straight into the variable below.
export AWS_PAGER=""

STAGING_PARENT="$(host_path /run/etcd-ha)"
ensure_dir "$STAGING_PARENT"
PKI_BUNDLE_DIR="$(mktemp -d -- "$STAGING_PARENT/pki-bundle.XXXXXX")" || die "cannot create a staging dir in $STAGING_PARENT"
chmod 0700 -- "$PKI_BUNDLE_DIR"
export PKI_BUNDLE_DIR

# Until install-pki.sh takes the staging dir over (it defines its own script_cleanup), it is ours to remove.
# shellcheck disable=SC2317 # called by lib.sh's EXIT trap; in a command, install-pki.sh redefines it later
script_cleanup() {
  rm -rf -- "$PKI_BUNDLE_DIR"
}

fetch_err="$(mktemp -p "$WORK_DIR")"
# shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_SECRET_FETCH is a command plus its leading arguments
if ! bundle_text="$($SECRET_FETCH "$MEMBER_SECRET_ID" 2>"$fetch_err")"; then
  # The fetch command's own error (access denied, not found, no credentials) helps; a value never shows.
  if grep -q 'PRIVATE[ ]KEY' -- "$fetch_err"; then
    echo "(the fetch command's error output is withheld: it mentions key material)" >&2
  else
    tail -n 20 -- "$fetch_err" >&2
  fi
  die "cannot fetch the member secret $MEMBER_SECRET_ID with: $SECRET_FETCH"
fi

# Checks the whole bundle first and writes files only when all of it is valid. Errors name line numbers
# and paths, never content. Directories are created through "$STAGE" expanded by sh (not pasted into
# the command), and only from paths already checked against [A-Za-z0-9._/-].
if ! file_count="$(printf '%s\n' "$bundle_text" | (umask 077 && STAGE="$PKI_BUNDLE_DIR" awk '
  function fail(msg) {
    printf "error: member bundle: %s\n", msg > "/dev/stderr"
    bad = 1
  }
  BEGIN { n = 0; bad = 0; ended = 0 }
  bad { next }
  ended {
    line = $0; sub(/\r$/, "", line)
    if (line != "") fail("line " NR ": text after the === END line")
    next
  }
  /^===/ {
    line = $0; sub(/\r$/, "", line)
    if (line == "=== END") { ended = 1; next }
    if (line !~ /^=== [^ ]+ [^ ]+$/) { fail("line " NR ": expected \"=== <path> <mode>\" or \"=== END\""); next }
    split(line, field, " ")
    path = field[2]; mode = field[3]
    if (path !~ /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/ || ("/" path "/") ~ /\/\.\.?\//) {
      fail("line " NR ": path must be relative, without . or .. components, of letters, digits, . _ - and /")
      next
    }
    if (mode != "0600" && mode != "0644") { fail("line " NR ": " path ": mode " mode " must be 0600 or 0644"); next }
    if (path ~ /(^|\/)([^\/]*-)?ca\.key$/) { fail("line " NR ": " path " is a CA private key; hosts never hold a CA key"); next }
    if (path in seen) { fail("line " NR ": " path " is listed twice"); next }
    seen[path] = 1
    n++; paths[n] = path; modes[n] = mode; count[n] = 0
    next
  }
  n == 0 {
    line = $0; sub(/\r$/, "", line)
    if (line != "" && line !~ /^#/) fail("line " NR ": only comment lines may come before the first file")
    next
  }
  {
    count[n]++; body[n, count[n]] = $0
    if (modes[n] != "0600" && $0 ~ /-----BEGIN [A-Z ]*PRIVATE[ ]KEY-----/) {
      fail(paths[n] ": holds a private key, so its mode must be 0600, not " modes[n])
    }
  }
  END {
    if (bad) exit 1
    if (!ended) { fail("no === END line: the bundle is incomplete (truncated?)"); exit 1 }
    if (n == 0) { fail("the bundle holds no files"); exit 1 }
    for (i = 1; i <= n; i++) {
      if (paths[i] ~ /\//) {
        dir = paths[i]; sub(/\/[^\/]*$/, "", dir)
        if (system("mkdir -p -- \"$STAGE/" dir "\"") != 0) { fail("cannot create directory " dir); exit 1 }
      }
      out = ENVIRON["STAGE"] "/" paths[i]
      printf "" > out
      for (j = 1; j <= count[i]; j++) print body[i, j] > out
      close(out)
    }
    print n
  }'))"; then
  die "refusing the member secret $MEMBER_SECRET_ID: it is not a valid member bundle; nothing was staged"
fi
unset bundle_text
log "fetched member secret $MEMBER_SECRET_ID: $file_count files staged in $PKI_BUNDLE_DIR"
