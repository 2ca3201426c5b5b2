#!/usr/bin/env bash
# A restore drill on a member host: the snapshot fetch-snapshot left in SNAPSHOT_FILE is restored with the member's
# own tool (lib.sh snapshot_restore) into a fresh temporary dir under /var/lib/etcd-ha/drills, served by a temporary
# etcd from the member's own binary on loopback ports with plain http, asked for its key count and revision, then
# stopped (by PID) and removed with its dir, also on failure. The last line says what it held:
#   drill-result keys=N revision=R [keys-at-backup-revision=N|compacted] etcd=VERSION
# The live member is never touched: not its process, data dir, config or ports (the temporary etcd's ports are
# chosen at random above 20000, never 2379/2380/2381; a port found taken is chosen again).
#
# Inputs:
#   SNAPSHOT_FILE    the verified snapshot (produced by fetch-snapshot); removed when done
#   RUNTIME          systemd | kubeadm: where the member's etcd comes from (the unit's ExecStart, or its image)
#   DRILL_ADDRESS    loopback address the temporary etcd listens on (default 127.0.0.1; local mode: the
#                    simulated host's own)
#   BACKUP_REVISION  the backup's revision: the keys at it are counted too (default: not asked)
#   ETCD_IMAGE       kubeadm only: the member's etcd image (default: the image its static pod manifest names)
#   ETCD_HA_CONTAINER_RUN  kubeadm only: the container CLI, as snapshot_restore (lib.sh) runs it
# The keys and revision are read from etcd's JSON gateway (/v3/kv/range, count only) with curl, the same on both
# runtimes: on kubeadm hosts etcdctl exists only inside the image.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var SNAPSHOT_FILE
[[ "${RUNTIME:-}" == systemd || "${RUNTIME:-}" == kubeadm ]] || die "RUNTIME must be systemd or kubeadm, got '${RUNTIME:-}'"
DRILL_ADDRESS="${DRILL_ADDRESS:-127.0.0.1}"
[[ "$DRILL_ADDRESS" =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "DRILL_ADDRESS must be a loopback address (127.x.y.z), got '$DRILL_ADDRESS'"
BACKUP_REVISION="${BACKUP_REVISION:-}"
[[ -z "$BACKUP_REVISION" || "$BACKUP_REVISION" =~ ^[0-9]+$ ]] || die "BACKUP_REVISION must be a whole number, got '$BACKUP_REVISION'"
if [[ "$RUNTIME" == kubeadm && -z "${ETCD_IMAGE:-}" ]]; then
  manifest="$(host_path /etc/kubernetes/manifests/etcd.yaml)"
  [[ -f "$manifest" ]] || die "ETCD_IMAGE is not given and there is no static pod manifest at $manifest to read the member's image from"
  ETCD_IMAGE="$(sed -n 's/^ *image: *"\{0,1\}\([^" ]*\)"\{0,1\} *$/\1/p' -- "$manifest" | head -n 1)"
  [[ -n "$ETCD_IMAGE" ]] || die "no image: line in $manifest"
fi
export ETCD_IMAGE="${ETCD_IMAGE:-}"
command -v curl >/dev/null || die "curl is needed to ask the temporary etcd"

READY_SECONDS=60
STOP_SECONDS=10
PORT_ATTEMPTS=5
DRILL_PID=""
DRILL_DIR=""

stop_temporary_etcd() {
  [[ -n "$DRILL_PID" ]] || return 0
  kill -TERM "$DRILL_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < STOP_SECONDS * 10; i++)); do
    kill -0 "$DRILL_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$DRILL_PID" 2>/dev/null || true
  wait "$DRILL_PID" 2>/dev/null || true
  log "temporary etcd (pid $DRILL_PID) stopped"
  DRILL_PID=""
}

# Runs on every exit (lib.sh's trap), before lib.sh removes the fetched snapshot: the temporary etcd stops, then
# its dir goes, whatever happened.
script_cleanup() {
  stop_temporary_etcd
  if [[ -n "$DRILL_DIR" && -d "$DRILL_DIR" ]]; then
    rm -rf -- "$DRILL_DIR"
    log "removed $DRILL_DIR"
  fi
}

# A port above 20000 that nothing answers on at DRILL_ADDRESS (a listener on 0.0.0.0 answers there too).
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/$DRILL_ADDRESS/$port") 2>/dev/null || {
      printf '%s' "$port"
      return 0
    }
  done
}

# start_temporary_etcd CLIENT_PORT PEER_PORT: in the background, its PID in DRILL_PID, its log in DRILL_DIR/etcd.log.
start_temporary_etcd() {
  local client="http://$DRILL_ADDRESS:$1" peer="http://$DRILL_ADDRESS:$2"
  local args=(--name drill --data-dir "$DRILL_DIR/data" --listen-client-urls "$client" --advertise-client-urls "$client"
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "drill=$peer")
  if [[ "$RUNTIME" == systemd ]]; then
    local tools
    tools="$(etcd_tools_dir)" || die "cannot find the member's etcd binary"
    "$tools/etcd" "${args[@]}" >"$DRILL_DIR/etcd.log" 2>&1 &
  else
    # The member's image, host network, only the drill dir mounted; the CLI proxies the stop signal to etcd.
    local run_cli="${ETCD_HA_CONTAINER_RUN:-ctr -n k8s.io run --rm --net-host}"
    # shellcheck disable=SC2086 # word-split on purpose: ETCD_HA_CONTAINER_RUN is a command plus its leading arguments
    $run_cli --mount "type=bind,src=$DRILL_DIR,dst=$DRILL_DIR,options=rbind:rw" "$ETCD_IMAGE" "etcd-ha-drill-$$-$1" etcd "${args[@]}" >"$DRILL_DIR/etcd.log" 2>&1 &
  fi
  DRILL_PID=$!
  log "temporary etcd (pid $DRILL_PID) on $client, peer $peer"
}

# ask PATH BODY: POSTs BODY to the temporary etcd's gateway and prints the answer.
ask() {
  curl -sS --max-time 5 -X POST "http://$DRILL_ADDRESS:$CLIENT_PORT$1" -d "$2"
}

# json_number FIELD JSON: the quoted int64 FIELD of the answer (the gateway leaves out zero values: 0).
json_number() {
  local value
  value="$(printf '%s' "$2" | sed -n "s/.*\"$1\": *\"\\([0-9]*\\)\".*/\\1/p")"
  printf '%s' "${value:-0}"
}

fail_with_log() {
  if [[ -f "$DRILL_DIR/etcd.log" ]]; then
    printf 'last 20 lines of the temporary etcd log:\n' >&2
    tail -n 20 -- "$DRILL_DIR/etcd.log" >&2 || true
  fi
  die "$1"
}

[[ -f "$SNAPSHOT_FILE" ]] || die "SNAPSHOT_FILE $SNAPSHOT_FILE does not exist"
DRILLS="$(host_path /var/lib/etcd-ha/drills)"
ensure_dir "$DRILLS"
DRILL_DIR="$(mktemp -d -- "$DRILLS/drill.XXXXXX")" || die "cannot create a temporary dir under $DRILLS"

CLIENT_PORT="$(free_port)"
PEER_PORT="$(free_port)"
# In a subshell with its output kept: a tool that cannot open the snapshot panics with a long Go stack trace, and the
# line that says why must not be pushed out of the tail the step reports.
if ! (snapshot_restore "$SNAPSHOT_FILE" "$DRILL_DIR/data" drill "drill=http://$DRILL_ADDRESS:$PEER_PORT" "http://$DRILL_ADDRESS:$PEER_PORT" "etcd-ha-drill-$$" 0) >"$DRILL_DIR/restore.log" 2>&1; then
  grep -m 5 -E 'panic:|error|cannot|invalid|failed' -- "$DRILL_DIR/restore.log" >&2 || tail -n 5 -- "$DRILL_DIR/restore.log" >&2
  die "the snapshot does not open: the member's own tool could not restore it (snapshot_restore)"
fi
grep -E '^restoring with' -- "$DRILL_DIR/restore.log" || true
# Served from the restored dir from here on: the fetched copy need not wait for the end of the command.
rm -f -- "$SNAPSHOT_FILE"

attempt=1
while true; do
  start_temporary_etcd "$CLIENT_PORT" "$PEER_PORT"
  answer=""
  for ((i = 0; i < READY_SECONDS * 5; i++)); do
    if ! kill -0 "$DRILL_PID" 2>/dev/null; then break; fi
    if answer="$(ask /v3/kv/range '{"key":"AA==","range_end":"AA==","count_only":true}' 2>/dev/null)" && [[ "$answer" == *'"header"'* ]]; then break; fi
    answer=""
    sleep 0.2
  done
  [[ -z "$answer" ]] || break
  if ! kill -0 "$DRILL_PID" 2>/dev/null && grep -q 'address already in use' -- "$DRILL_DIR/etcd.log" && ((attempt < PORT_ATTEMPTS)); then
    log "port $CLIENT_PORT or $PEER_PORT was taken meanwhile: choosing others"
    stop_temporary_etcd
    attempt=$((attempt + 1))
    CLIENT_PORT="$(free_port)"
    PEER_PORT="$(free_port)"
    continue
  fi
  if kill -0 "$DRILL_PID" 2>/dev/null; then fail_with_log "the temporary etcd did not answer within $READY_SECONDS s"; fi
  fail_with_log "the temporary etcd exited before it answered: the restored snapshot does not open"
done

keys="$(json_number count "$answer")"
revision="$(json_number revision "$answer")"
result="drill-result keys=$keys revision=$revision"
if [[ -n "$BACKUP_REVISION" ]]; then
  at="$(ask /v3/kv/range "{\"key\":\"AA==\",\"range_end\":\"AA==\",\"count_only\":true,\"revision\":\"$BACKUP_REVISION\"}" || true)"
  if [[ "$at" == *'"header"'* ]]; then
    result+=" keys-at-backup-revision=$(json_number count "$at")"
  elif [[ "$at" == *'compacted'* ]]; then
    result+=" keys-at-backup-revision=compacted"
  elif [[ "$at" == *'future revision'* ]]; then
    log "the restored revision $revision is older than the backup's $BACKUP_REVISION: no keys to count there"
  else
    fail_with_log "the temporary etcd did not count the keys at revision $BACKUP_REVISION: $at"
  fi
fi
version="$(curl -sS --max-time 5 "http://$DRILL_ADDRESS:$CLIENT_PORT/version" | sed -n 's/.*"etcdserver": *"\([^"]*\)".*/\1/p' || true)"
result+=" etcd=${version:-unknown}"
stop_temporary_etcd
log "$result"
