#!/usr/bin/env bash
# AdoptCluster's look at a kubeadm control-plane host before anything changes: what its single stacked etcd is
# (static pod manifest, etcd's own answers, data size) and what PKI it has. READ-ONLY: it writes nothing on the host
# and restarts nothing. The last stdout line is the facts the step parses:
#   ETCD_HA_ADOPT_FACTS={"format":1,"manifest":{"path":...,"image":...,"flags":{...}},"version":<GET /version>,
#     "memberList":<POST /v3/cluster/member/list>,"status":<POST /v3/maintenance/status>,"dataDirBytes":N,
#     "certificates":[{"file":"etcd/ca.crt","present":true,"notAfter":"...Z","commonName":"etcd-ca"},...],
#     "caKey":{"present":true,"readable":true,"type":"RSA","bits":2048}}
# etcd's answers are embedded as etcd gave them (its JSON gateway). The CA key is only read to derive its public key
# (type and size): no key material is ever printed.
#
# Inputs:
#   ETCD_HA_CURL  the curl command, word-split (default curl); etcd is asked over mTLS with the host's own
#                 healthcheck client pair at the first URL of --advertise-client-urls
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

MANIFEST_PATH=/etc/kubernetes/manifests/etcd.yaml
MANIFEST="$(kubeadm_etcd_manifest)"
PKI="$(host_path /etc/kubernetes/pki)"
CERTIFICATES=(etcd/ca.crt etcd/server.crt etcd/peer.crt etcd/healthcheck-client.crt apiserver-etcd-client.crt)

[[ -f "$MANIFEST" ]] || die "no etcd static pod manifest at $MANIFEST: only a kubeadm stacked etcd (a static pod kubelet runs from that file) can be adopted"
command -v openssl >/dev/null || die "openssl is needed to read the certificates"

# json_string TEXT: TEXT as a JSON string (quotes, backslashes and control characters escaped).
json_string() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  s="$(printf '%s' "$s" | tr -d '\000-\037')"
  printf '"%s"' "$s"
}

# ---- the manifest: the etcd command's flags and the image ----
declare -A FLAG=()
flags_json=""
while read -r name value; do
  [[ -n "$name" ]] || continue
  [[ -z "${FLAG[$name]+set}" ]] || die "$MANIFEST sets --$name twice"
  FLAG[$name]="$value"
  flags_json+="${flags_json:+,}$(json_string "$name"):$(json_string "$value")"
done < <(static_pod_flags "$MANIFEST")
for required in name data-dir advertise-client-urls; do
  [[ -n "${FLAG[$required]:-}" ]] || die "$MANIFEST has no --$required=... line: not an etcd static pod manifest kubeadm wrote"
done
image="$(sed -n 's/^ *image: *"\{0,1\}\([^" ]*\)"\{0,1\} *$/\1/p' -- "$MANIFEST" | head -n 1)"
[[ -n "$image" ]] || die "no image: line in $MANIFEST"
client_url="${FLAG[advertise-client-urls]%%,*}"
[[ "$client_url" =~ ^https://[^/]+$ ]] || die "the first --advertise-client-urls of $MANIFEST is '$client_url'; adoption needs an https client URL (kubeadm's)"

# ---- etcd's own answers ----
# ask WHAT CURL_ARGS...: etcd's answer on one line; dies naming what was asked when etcd does not answer.
ask() {
  local what="$1" answer err
  shift
  err="$(mktemp -p "$WORK_DIR")"
  if ! answer="$(etcd_mtls_curl --fail "$@" 2>"$err")"; then
    tail -n 5 -- "$err" >&2
    die "etcd does not answer $what at $client_url (asked with the healthcheck client pair of $PKI/etcd)"
  fi
  answer="$(printf '%s' "$answer" | tr -d '\r\n')"
  [[ "$answer" == \{*\} ]] || die "etcd's answer to $what at $client_url is not a JSON object"
  printf '%s' "$answer"
}
version="$(ask "GET /version" "$client_url/version")"
member_list="$(ask "member list" -X POST -d '{}' "$client_url/v3/cluster/member/list")"
status="$(ask "status" -X POST -d '{}' "$client_url/v3/maintenance/status")"

# ---- the data dir ----
data_dir="$(host_path "${FLAG[data-dir]}")"
[[ -d "$data_dir" ]] || die "the data dir $data_dir (--data-dir of $MANIFEST) does not exist"
data_bytes="$(du -sb -- "$data_dir" | cut -f1)"
[[ "$data_bytes" =~ ^[0-9]+$ ]] || die "cannot measure the data dir $data_dir"

# ---- certificates: present, expiry, CN ----
certificates_json=""
for file in "${CERTIFICATES[@]}"; do
  path="$PKI/$file"
  if [[ ! -f "$path" ]]; then
    entry="{\"file\":$(json_string "$file"),\"present\":false}"
  else
    end="$(openssl x509 -noout -enddate -in "$path" 2>/dev/null)" || die "$path is not a readable PEM certificate"
    not_after="$(date -u -d "${end#notAfter=}" +%Y-%m-%dT%H:%M:%SZ)" || die "cannot read the expiry '${end#notAfter=}' of $path"
    cn="$(openssl x509 -noout -subject -nameopt sep_multiline,utf8 -in "$path" | sed -n 's/^ *CN=//p' | head -n 1)"
    entry="{\"file\":$(json_string "$file"),\"present\":true,\"notAfter\":\"$not_after\",\"commonName\":$(json_string "$cn")}"
  fi
  certificates_json+="${certificates_json:+,}$entry"
done

# ---- the CA key: type and size from its public half, so nothing of the key itself is ever printed ----
ca_key="$PKI/etcd/ca.key"
if [[ ! -f "$ca_key" ]]; then
  ca_key_json='{"present":false}'
elif public_text="$(openssl pkey -in "$ca_key" -passin pass: -pubout 2>/dev/null </dev/null | openssl pkey -pubin -noout -text_pub 2>/dev/null)"; then
  bits="$(printf '%s\n' "$public_text" | sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' | head -n 1)"
  type=other
  if grep -q '^Modulus' <<<"$public_text"; then
    type=RSA
  elif grep -q 'ASN1 OID' <<<"$public_text"; then
    type=EC
  fi
  ca_key_json="{\"present\":true,\"readable\":true,\"type\":\"$type\",\"bits\":${bits:-null}}"
else
  # Encrypted or not a key: the adoption cannot sign with it.
  ca_key_json='{"present":true,"readable":false,"type":"other","bits":null}'
fi
unset public_text

log "found etcd ${FLAG[name]} (image $image) at $client_url, data dir $data_dir: $data_bytes bytes"
printf 'ETCD_HA_ADOPT_FACTS={"format":1,"manifest":{"path":%s,"image":%s,"flags":{%s}},"version":%s,"memberList":%s,"status":%s,"dataDirBytes":%s,"certificates":[%s],"caKey":%s}\n' \
  "$(json_string "$MANIFEST_PATH")" "$(json_string "$image")" "$flags_json" "$version" "$member_list" "$status" \
  "$data_bytes" "$certificates_json" "$ca_key_json"
