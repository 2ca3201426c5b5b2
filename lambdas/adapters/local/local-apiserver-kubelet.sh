#!/usr/bin/env bash
# Stands in for kubelet's handling of the kube-apiserver static pod on a simulated control-plane host:
# host-scripts/connect-kube-apiserver.sh runs it as ETCD_HA_APISERVER_SYNC after it changed the manifest. A manifest
# whose content differs from the one the running stand-in started with restarts it (stop, then start
# local-kube-apiserver.mjs); an unchanged one starts it only when it does not run; no manifest stops it.
# Each stop and start is appended, with the time in milliseconds, to ${ETCD_HA_ROOT}/var/log/etcd-ha/kube-apiserver.events
# ("<ms> stop <pid>", "<ms> start <pid>"), so that tests can order restarts across hosts.
#
# Usage: local-apiserver-kubelet.sh        (sync with the manifest)
#        local-apiserver-kubelet.sh stop   (the host goes down: `etcd-ha local down` stops the stand-in)
# Inputs (environment): ETCD_HA_ROOT (required: the simulated host's root dir)
set -euo pipefail

die() {
  printf 'local-apiserver-kubelet: %s\n' "$*" >&2
  exit 1
}

[[ -n "${ETCD_HA_ROOT:-}" && "$ETCD_HA_ROOT" == /* ]] || die "ETCD_HA_ROOT must be the simulated host's root dir"
ROOT="${ETCD_HA_ROOT%/}"
[[ -n "$ROOT" ]] || die "ETCD_HA_ROOT must not be / (local mode runs on simulated hosts only)"
MANIFEST="$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml"
RUN_DIR="$ROOT/run/etcd-ha"
LOG_DIR="$ROOT/var/log/etcd-ha"
PID_FILE="$RUN_DIR/kube-apiserver.pid"
STAMP_FILE="$RUN_DIR/kube-apiserver.manifest.sha256"
EVENTS="$LOG_DIR/kube-apiserver.events"
STAND_IN="$(dirname -- "$(realpath -- "$0")")/local-kube-apiserver.mjs"
mkdir -p -- "$RUN_DIR" "$LOG_DIR"

now_ms() { date +%s%3N; }

# running_pid: the PID of our stand-in when it runs (the PID file's process, whose command line names the stand-in).
running_pid() {
  local pid
  pid="$(cat -- "$PID_FILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STAND_IN" || return 1
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  printf '%s' "$pid"
}

stop() {
  local pid i
  pid="$(running_pid)" || return 0
  echo "$(now_ms) stop $pid" >>"$EVENTS"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    running_pid >/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

start() {
  # A session of its own, output to a log: it outlives this command and holds none of its pipes.
  ETCD_HA_ROOT="$ROOT" setsid node "$STAND_IN" >>"$LOG_DIR/kube-apiserver.log" 2>&1 </dev/null &
  echo "$!" >"$PID_FILE"
  echo "$(now_ms) start $!" >>"$EVENTS"
  sha256sum -- "$MANIFEST" | cut -d' ' -f1 >"$STAMP_FILE"
}

if [[ "${1:-}" == stop ]]; then
  stop
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: $0 [stop]"
if [[ ! -f "$MANIFEST" ]]; then
  echo "no kube-apiserver manifest at $MANIFEST: stopping the stand-in"
  stop
  exit 0
fi
wanted="$(sha256sum -- "$MANIFEST" | cut -d' ' -f1)"
if running_pid >/dev/null && [[ "$(cat -- "$STAMP_FILE" 2>/dev/null)" == "$wanted" ]]; then
  echo "the kube-apiserver manifest is unchanged and the stand-in runs: nothing to do"
  exit 0
fi
echo "kube-apiserver manifest changed (or the stand-in is not running): restarting it"
stop
start
