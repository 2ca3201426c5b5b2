#!/usr/bin/env bash
# AdoptCluster, after the step ran `member update` for an adopted member that advertises a peer URL the other hosts
# cannot reach (kubeadm's localhost case): makes the kubeadm static pod listen on and advertise PEER_URL, with the one
# restart that needs. In the manifest, --initial-advertise-peer-urls and --listen-peer-urls become PEER_URL and the
# member's own entry of --initial-cluster becomes <name>=PEER_URL; nothing else changes. The old manifest is kept in
# /etc/kubernetes/etcd-ha-backup/etcd.yaml.<UTC stamp>, outside the manifest dir (kubelet would run any file in it);
# the new one replaces it atomically, and kubelet restarts the pod. Then it waits until etcd answers on PEER_URL
# (GET /version over mTLS: the peer listener trusts the same CA as the client one) and CLIENT_URL/health says true.
# A manifest that says so already is left as it is (nothing written, nothing restarted): safe to run twice.
# Before it changes the manifest, the membership must already name PEER_URL for this member (member update first:
# a member that advertised a URL its cluster does not know would be cut off once it grows).
#
# Inputs:
#   PEER_URL                 the member's new peer URL, https://IPv4:port
#   CLIENT_URL               the member's client URL, https://IPv4:port
#   WAIT_SECONDS             how long to wait for etcd after the change (default 120)
#   ETCD_HA_STATIC_POD_SYNC  a command run once the manifest is as wanted (local mode: adapters/local/local-kubelet.sh,
#                            which stands in for kubelet); default none: kubelet watches the manifest dir
#   ETCD_HA_CURL             the curl command, word-split (default curl)
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

URL_PATTERN='^https://([0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{1,5}$'
require_var PEER_URL
require_var CLIENT_URL
[[ "$PEER_URL" =~ $URL_PATTERN ]] || die "PEER_URL must look like https://10.0.0.1:2380, got '$PEER_URL'"
[[ "$CLIENT_URL" =~ $URL_PATTERN ]] || die "CLIENT_URL must look like https://10.0.0.1:2379, got '$CLIENT_URL'"
WAIT_SECONDS="${WAIT_SECONDS:-120}"
[[ "$WAIT_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "WAIT_SECONDS must be a positive whole number, got '$WAIT_SECONDS'"

MANIFEST="$(kubeadm_etcd_manifest)"
[[ -f "$MANIFEST" ]] || die "no etcd static pod manifest at $MANIFEST: nothing to move"
name="$(static_pod_flags "$MANIFEST" | sed -n 's/^name //p' | head -n 1)"
[[ -n "$name" ]] || die "$MANIFEST has no --name=... line"

# The manifest with the three values rewritten, on stdout; fails when a flag is missing.
rewritten_manifest() {
  NAME="$name" URL="$PEER_URL" awk '
    function value_of(line) { sub(/^[^=]*=/, "", line); sub(/"?[[:space:]]*$/, "", line); return line }
    function prefix_of(line) { match(line, /^[[:space:]]*-[[:space:]]+"?--[a-z0-9-]+=/); return substr(line, 1, RLENGTH) }
    function suffix_of(line) { return (line ~ /"[[:space:]]*$/) ? "\"" : "" }
    /^[[:space:]]*-[[:space:]]+"?--(initial-advertise-peer-urls|listen-peer-urls)=/ {
      print prefix_of($0) ENVIRON["URL"] suffix_of($0); seen[$0 ~ /listen/ ? "listen" : "advertise"] = 1; next
    }
    /^[[:space:]]*-[[:space:]]+"?--initial-cluster=/ {
      n = split(value_of($0), entry, ","); out = ""; own = 0
      for (i = 1; i <= n; i++) {
        if (index(entry[i], ENVIRON["NAME"] "=") == 1) { entry[i] = ENVIRON["NAME"] "=" ENVIRON["URL"]; own = 1 }
        out = out (i > 1 ? "," : "") entry[i]
      }
      if (!own) { print "no entry for " ENVIRON["NAME"] " in --initial-cluster" > "/dev/stderr"; bad = 1 }
      print prefix_of($0) out suffix_of($0); seen["cluster"] = 1; next
    }
    { print }
    END {
      if (bad) exit 1
      if (!seen["listen"] || !seen["advertise"] || !seen["cluster"]) {
        print "the manifest lacks --listen-peer-urls, --initial-advertise-peer-urls or --initial-cluster" > "/dev/stderr"; exit 1
      }
    }' "$MANIFEST"
}

# member_has_peer_url: the membership (asked at CLIENT_URL) gives this member PEER_URL.
member_has_peer_url() {
  local answer
  answer="$(etcd_mtls_curl --fail -X POST -d '{}' "$CLIENT_URL/v3/cluster/member/list")" ||
    die "etcd does not answer the member list at $CLIENT_URL"
  # One member per line, each starting at its "ID"; ours is the one with our name.
  printf '%s' "$answer" | tr -d '\n' | sed 's/{"ID"/\n{"ID"/g' | grep -F "\"name\":\"$name\"" | grep -qF "\"$PEER_URL\""
}

# wait_until_serving: etcd answers on PEER_URL and is healthy on CLIENT_URL within WAIT_SECONDS.
wait_until_serving() {
  local deadline=$((SECONDS + WAIT_SECONDS)) health
  while ((SECONDS < deadline)); do
    if etcd_mtls_curl --fail -o /dev/null "$PEER_URL/version" 2>/dev/null &&
      health="$(etcd_mtls_curl --fail "$CLIENT_URL/health" 2>/dev/null)" && [[ "$health" == *'"health":"true"'* ]]; then
      log "etcd $name answers on $PEER_URL and is healthy on $CLIENT_URL"
      return 0
    fi
    sleep 1
  done
  die "etcd $name does not answer on $PEER_URL, or is not healthy on $CLIENT_URL, $WAIT_SECONDS s after its manifest changed"
}

sync_static_pod() {
  [[ -n "${ETCD_HA_STATIC_POD_SYNC:-}" ]] || return 0
  log "running $ETCD_HA_STATIC_POD_SYNC"
  # shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_STATIC_POD_SYNC is a command plus its leading arguments
  $ETCD_HA_STATIC_POD_SYNC || die "$ETCD_HA_STATIC_POD_SYNC failed"
}

new_manifest="$(mktemp -p "$WORK_DIR")"
rewritten_manifest >"$new_manifest" || die "cannot rewrite the peer URLs of $MANIFEST"
if ! differs "$new_manifest" "$MANIFEST"; then
  log "etcd $name already listens on and advertises $PEER_URL ($MANIFEST): nothing written, nothing restarted"
else
  member_has_peer_url || die "the membership does not give $name the peer URL $PEER_URL yet: run member update first; $MANIFEST is unchanged"
  backup_dir="$(host_path /etc/kubernetes/etcd-ha-backup)"
  ensure_dir "$backup_dir"
  backup="$backup_dir/etcd.yaml.$(utc_stamp)"
  n=1
  while [[ -e "$backup" ]]; do
    backup="$backup_dir/etcd.yaml.$(utc_stamp)-$n"
    n=$((n + 1))
  done
  cp -p -- "$MANIFEST" "$backup" || die "cannot keep a copy of $MANIFEST in $backup"
  log "kept the old manifest in $backup"
  install_file "$MANIFEST" "0$(file_mode "$MANIFEST")" <"$new_manifest"
  log "etcd $name now listens on and advertises $PEER_URL: kubelet restarts it"
fi
# Locally the stand-in for kubelet runs either way: like kubelet, it restarts etcd only when the manifest changed.
sync_static_pod
wait_until_serving
