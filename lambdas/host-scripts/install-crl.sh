#!/usr/bin/env bash
# Installs the cluster's certificate revocation list where etcd reads it (--client-crl-file and --peer-crl-file):
# /etc/kubernetes/pki/etcd/crl.pem, 0644, replaced atomically (etcd reads the file on every connection it accepts,
# so a half-written file would refuse them all). Nothing restarts: the next connection sees the new list.
#
# Inputs:
#   CRL_PEM_B64  the CRL as PEM ("-----BEGIN X509 CRL-----", the only label etcd reads as PEM), base64-encoded
# Refuses, installing nothing, anything else (no key material ever travels this way: the CRL is public).
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var CRL_PEM_B64
crl="$(decode_b64 "$CRL_PEM_B64" CRL_PEM_B64)"
[[ "$(head -n 1 -- "$crl")" == "-----BEGIN X509 CRL-----" ]] || die "CRL_PEM_B64 must hold a PEM CRL starting with -----BEGIN X509 CRL-----"
[[ "$(tail -n 1 -- "$crl")" == "-----END X509 CRL-----" ]] || die "CRL_PEM_B64 must hold one whole PEM CRL ending with -----END X509 CRL-----"
[[ "$(grep -c -- '-----BEGIN' "$crl")" -eq 1 ]] || die "CRL_PEM_B64 must hold exactly one PEM block"
body="$(sed '1d;$d' -- "$crl" | tr -d '\n')"
[[ "$body" =~ ^[A-Za-z0-9+/=]+$ ]] || die "CRL_PEM_B64: the PEM body must be base64"

install_file "$(host_path /etc/kubernetes/pki/etcd/crl.pem)" 0644 <"$crl"
if anything_changed; then
  log "revocation list installed"
else
  log "revocation list already up to date, nothing changed"
fi
