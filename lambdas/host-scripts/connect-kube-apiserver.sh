#!/usr/bin/env bash
# ConnectControlPlane, one API server at a time: points this control-plane host's kube-apiserver static pod at etcd.
# In /etc/kubernetes/manifests/kube-apiserver.yaml, --etcd-servers, --etcd-cafile, --etcd-certfile and --etcd-keyfile
# get the values given (a flag that is missing is added after the `- kube-apiserver` line); nothing else changes.
# A manifest that says so already is left alone (nothing written, nothing restarted): safe to run twice. Otherwise the
# old one is kept in /etc/kubernetes/etcd-ha-backup/kube-apiserver.yaml.<UTC stamp>, outside the manifest dir (kubelet
# would run any file in it), the new one replaces it atomically, and kubelet restarts the API server. Either way it
# then waits until the API server's health endpoint answers 200, so that the next host is changed only after this one
# serves again. The client pair itself needs no restart: kube-apiserver's etcd client (etcd's transport.TLSInfo)
# reads the certificate and key files at each new TLS handshake.
#
# Inputs:
#   ETCD_SERVERS               comma-separated https URLs (by name or by address)
#   ETCD_CAFILE, ETCD_CERTFILE, ETCD_KEYFILE   absolute paths (default: kubeadm's, under /etc/kubernetes/pki)
#   LIVEZ_URL                  the API server's health endpoint (default https://127.0.0.1:6443/livez)
#   WAIT_SECONDS               how long to wait for the restart and for a 200 (default 180)
#   ETCD_HA_APISERVER_SYNC     a command run after the manifest changed that restarts the API server before it returns
#                              (local mode: adapters/local/local-apiserver-kubelet.sh); default none: kubelet watches
#                              the manifest dir, and the script waits until the old API server stops answering first
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var ETCD_SERVERS
ETCD_CAFILE="${ETCD_CAFILE:-/etc/kubernetes/pki/etcd/ca.crt}"
ETCD_CERTFILE="${ETCD_CERTFILE:-/etc/kubernetes/pki/apiserver-etcd-client.crt}"
ETCD_KEYFILE="${ETCD_KEYFILE:-/etc/kubernetes/pki/apiserver-etcd-client.key}"
LIVEZ_URL="${LIVEZ_URL:-https://127.0.0.1:6443/livez}"
WAIT_SECONDS="${WAIT_SECONDS:-180}"
[[ "$ETCD_SERVERS" =~ ^https://[A-Za-z0-9.-]+:[0-9]{1,5}(,https://[A-Za-z0-9.-]+:[0-9]{1,5})*$ ]] ||
  die "ETCD_SERVERS must be comma-separated URLs such as https://etcd.demo.etcd-ha.internal:2379, got '$ETCD_SERVERS'"
for var in ETCD_CAFILE ETCD_CERTFILE ETCD_KEYFILE; do
  [[ "${!var}" =~ ^/[A-Za-z0-9._/-]+$ && "/${!var}/" != */../* ]] || die "$var must be an absolute path, got '${!var}'"
done
[[ "$LIVEZ_URL" =~ ^https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._/-]*)?$ ]] || die "LIVEZ_URL must be an http(s) URL, got '$LIVEZ_URL'"
[[ "$WAIT_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "WAIT_SECONDS must be a positive whole number, got '$WAIT_SECONDS'"
for file in "$ETCD_CAFILE" "$ETCD_CERTFILE" "$ETCD_KEYFILE"; do
  [[ -f "$(host_path "$file")" ]] || die "$file is missing: push the client certificates first"
done

MANIFEST="$(host_path /etc/kubernetes/manifests/kube-apiserver.yaml)"
[[ -f "$MANIFEST" ]] || die "no kube-apiserver static pod manifest at $MANIFEST: is this a kubeadm control-plane host?"

# The manifest with the four flags set, on stdout; fails when there is no `- kube-apiserver` command line.
rewritten_manifest() {
  ETCD_SERVERS="$ETCD_SERVERS" ETCD_CAFILE="$ETCD_CAFILE" ETCD_CERTFILE="$ETCD_CERTFILE" ETCD_KEYFILE="$ETCD_KEYFILE" awk '
    BEGIN {
      want["etcd-servers"] = ENVIRON["ETCD_SERVERS"]; want["etcd-cafile"] = ENVIRON["ETCD_CAFILE"]
      want["etcd-certfile"] = ENVIRON["ETCD_CERTFILE"]; want["etcd-keyfile"] = ENVIRON["ETCD_KEYFILE"]
      order[1] = "etcd-servers"; order[2] = "etcd-cafile"; order[3] = "etcd-certfile"; order[4] = "etcd-keyfile"
    }
    { lines[NR] = $0 }
    /^[[:space:]]*-[[:space:]]+"?kube-apiserver"?[[:space:]]*$/ && !command { command = NR; match($0, /^[[:space:]]*-[[:space:]]+/); indent = substr($0, 1, RLENGTH) }
    match($0, /^[[:space:]]*-[[:space:]]+"?--etcd-(servers|cafile|certfile|keyfile)=/) {
      flag = substr($0, RSTART, RLENGTH); sub(/^[[:space:]]*-[[:space:]]+"?--/, "", flag); sub(/=$/, "", flag)
      quote = ($0 ~ /^[[:space:]]*-[[:space:]]+"/) ? "\"" : ""
      lines[NR] = substr($0, 1, RLENGTH) want[flag] quote; seen[flag] = 1
    }
    END {
      if (!command) { print "no \"- kube-apiserver\" command line in the manifest" > "/dev/stderr"; exit 1 }
      for (i = 1; i <= NR; i++) {
        print lines[i]
        if (i == command) for (k = 1; k <= 4; k++) if (!(order[k] in seen)) print indent "--" order[k] "=" want[order[k]]
      }
    }' "$MANIFEST"
}

# livez_ok: the health endpoint answers 200. -k: a loopback liveness probe sends nothing secret, and kubeadm's serving
# certificate does not name 127.0.0.1.
livez_ok() {
  curl --silent --fail --insecure --max-time 5 --output /dev/null -- "$LIVEZ_URL" 2>/dev/null
}

wait_until() {
  local what="$1" want="$2" deadline=$((SECONDS + WAIT_SECONDS))
  while ((SECONDS < deadline)); do
    if livez_ok; then [[ "$want" == up ]] && return 0; else [[ "$want" == down ]] && return 0; fi
    sleep 0.5
  done
  die "$what: $LIVEZ_URL did not $( [[ "$want" == up ]] && echo 'answer 200' || echo 'stop answering') within $WAIT_SECONDS s"
}

new_manifest="$(mktemp -p "$WORK_DIR")"
rewritten_manifest >"$new_manifest" || die "cannot rewrite the etcd flags of $MANIFEST"
if ! differs "$new_manifest" "$MANIFEST"; then
  log "kube-apiserver already points at $ETCD_SERVERS with the etcd client files ($MANIFEST): nothing written, nothing restarted"
  echo "etcd-ha: manifest unchanged"
else
  backup_dir="$(host_path /etc/kubernetes/etcd-ha-backup)"
  ensure_dir "$backup_dir"
  backup="$backup_dir/kube-apiserver.yaml.$(utc_stamp)"
  n=1
  while [[ -e "$backup" ]]; do
    backup="$backup_dir/kube-apiserver.yaml.$(utc_stamp)-$n"
    n=$((n + 1))
  done
  cp -p -- "$MANIFEST" "$backup" || die "cannot keep a copy of $MANIFEST in $backup"
  log "kept the old manifest in $backup"
  install_file "$MANIFEST" "0$(file_mode "$MANIFEST")" <"$new_manifest"
  echo "etcd-ha: manifest changed"
  if [[ -n "${ETCD_HA_APISERVER_SYNC:-}" ]]; then
    log "running $ETCD_HA_APISERVER_SYNC"
    # shellcheck disable=SC2086 # word-split on purpose: a command plus its leading arguments
    $ETCD_HA_APISERVER_SYNC || die "$ETCD_HA_APISERVER_SYNC failed"
  else
    # kubelet notices the change within its file check period (20 s): until then the old API server still answers.
    wait_until "kubelet did not restart kube-apiserver" down
  fi
fi
wait_until "kube-apiserver is not healthy" up
log "kube-apiserver answers 200 on $LIVEZ_URL"
