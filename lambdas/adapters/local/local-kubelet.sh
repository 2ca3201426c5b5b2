#!/usr/bin/env bash
# Stands in for kubelet's static pod handling on a simulated host (local mode has no kubelet and no container
# runtime): it runs the etcd that ${ETCD_HA_ROOT}/etc/kubernetes/manifests/etcd.yaml describes, through the
# systemctl stand-in (service-ctl.sh), as kubelet would run the static pod. host-scripts/move-peer-url.sh runs it
# as ETCD_HA_STATIC_POD_SYNC after it changed the manifest; on AWS kubelet watches the manifest dir itself.
#
# Usage: local-kubelet.sh
# Inputs (environment):
#   ETCD_HA_ROOT         required: the simulated host's root dir
#   ETCD_HA_SERVICE_CTL  required: path of adapters/local/service-ctl.sh
# What it does, like kubelet syncing the pod:
#   - the etcd container's command flags ("    - --flag=value" lines) become ${ETCD_HA_ROOT}/etc/etcd/etcd.conf,
#     ETCD_<FLAG in upper case, "-" as "_">=value; a value that is an absolute path gets the host root prefixed
#     (the container sees the host's /etc/kubernetes/pki/etcd and /var/lib/etcd at the same paths);
#   - ${ETCD_HA_ROOT}/etc/systemd/system/etcd.service is written when absent (ExecStart=/usr/local/bin/etcd:
#     the simulated host's own etcd stands in for the image's);
#   - a changed manifest restarts etcd, an unchanged one starts it only when it is not running (kubelet
#     leaves a running pod alone while its manifest stays the same);
#   - no manifest: etcd is stopped (kubelet stops a static pod whose manifest is gone).
set -euo pipefail

die() {
  printf 'local-kubelet: %s\n' "$*" >&2
  exit 1
}

[[ -n "${ETCD_HA_ROOT:-}" ]] || die "ETCD_HA_ROOT is required (the simulated host's root dir)"
[[ "$ETCD_HA_ROOT" == /* ]] || die "ETCD_HA_ROOT must be an absolute path, got '$ETCD_HA_ROOT'"
ROOT="${ETCD_HA_ROOT%/}"
[[ -n "$ROOT" ]] || die "ETCD_HA_ROOT must not be / (local mode runs on simulated hosts only)"
[[ -n "${ETCD_HA_SERVICE_CTL:-}" ]] || die "ETCD_HA_SERVICE_CTL is required (path of service-ctl.sh)"
[[ -x "$ETCD_HA_SERVICE_CTL" ]] || die "ETCD_HA_SERVICE_CTL $ETCD_HA_SERVICE_CTL is not executable"
export ETCD_HA_ROOT="$ROOT"
SERVICE_CTL="$ETCD_HA_SERVICE_CTL"

MANIFEST="$ROOT/etc/kubernetes/manifests/etcd.yaml"
ENV_FILE="$ROOT/etc/etcd/etcd.conf"
UNIT_FILE="$ROOT/etc/systemd/system/etcd.service"

if [[ ! -f "$MANIFEST" ]]; then
  echo "no static pod manifest at $MANIFEST: stopping etcd"
  "$SERVICE_CTL" stop etcd
  exit 0
fi

# The flags of the manifest's command list, as "name value" lines (quotes around a value dropped).
flags="$(sed -n -E 's/^[[:space:]]*-[[:space:]]+"?--([a-z0-9-]+)=([^"]*)"?[[:space:]]*$/\1 \2/p' -- "$MANIFEST")"
[[ -n "$flags" ]] || die "no '- --flag=value' lines in $MANIFEST: not an etcd static pod manifest"

env_text=""
while read -r name value; do
  [[ "$value" == /* ]] && value="$ROOT$value"
  key="ETCD_$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')"
  env_text+="$key=$value"$'\n'
done <<<"$flags"

mkdir -p -- "$(dirname -- "$ENV_FILE")" "$(dirname -- "$UNIT_FILE")" || die "cannot create the dirs of $ENV_FILE and $UNIT_FILE"
if [[ ! -f "$UNIT_FILE" ]]; then
  printf '[Unit]\nDescription=etcd (static pod stand-in)\n[Service]\nEnvironmentFile=/etc/etcd/etcd.conf\nExecStart=/usr/local/bin/etcd\n' >"$UNIT_FILE"
fi

changed=false
if [[ ! -f "$ENV_FILE" ]] || [[ "$(cat -- "$ENV_FILE")"$'\n' != "$env_text" ]]; then
  tmp="$(mktemp -- "$ENV_FILE.XXXXXX")" || die "cannot create a temp file next to $ENV_FILE"
  if ! { printf '%s' "$env_text" >"$tmp" && chmod 0644 -- "$tmp" && mv -f -- "$tmp" "$ENV_FILE"; }; then
    rm -f -- "$tmp"
    die "cannot write $ENV_FILE"
  fi
  changed=true
fi

if [[ "$changed" == true ]]; then
  echo "the static pod manifest changed: restarting etcd"
  "$SERVICE_CTL" restart etcd
elif "$SERVICE_CTL" is-active --quiet etcd; then
  echo "the static pod manifest is unchanged and etcd runs: nothing to do"
else
  echo "the static pod manifest is unchanged and etcd does not run: starting it"
  "$SERVICE_CTL" start etcd
fi
