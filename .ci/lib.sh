#!/usr/bin/env bash
# Shared by the .ci/build-*.sh scripts (the build lock, and step for a long
# command with progress lines); source it after defining log and
# started (SECONDS at the start).

# take_lock waits for the build lock of a cache directory (one build at a
# time per version: a second caller waits for the first) and holds it
# until the script exits. The holder file beside the lock says who holds
# it: "<pid> <start, Unix seconds>", written when the lock is taken,
# removed before it is let go. A trap removes it and the directory in
# $work, if the script sets one.
take_lock() {
  local cache=$1
  mkdir -p "$(dirname "$cache")"
  lock=$cache.lock
  holder=$cache.lock.holder
  exec 9>"$lock"
  if ! flock -n 9; then
    local who pid since at
    if read -r pid since 2>/dev/null <"$holder" && [ -n "${since:-}" ]; then
      at=$(date -u -d "@$since" '+%Y-%m-%d %H:%M:%S UTC')
      who="the build started by PID $pid at $at ($(($(date +%s) - since))s ago)"
      kill -0 "$pid" 2>/dev/null || who="$who, though PID $pid is gone"
    else
      who="another build that recorded no PID in $holder"
    fi
    log "waiting for $who; lock: $lock"
    until flock -w 60 9; do
      log "still waiting for $who: $((SECONDS - started))s so far"
    done
    log "lock taken after waiting $((SECONDS - started))s"
  fi
  echo "$$ $(date +%s)" >"$holder"
  work=
  trap 'rm -f "$holder"; if [ -n "$work" ]; then rm -rf "$work"; fi' EXIT
}

# step NAME COMMAND...: runs COMMAND, logging its start, a line a minute
# while it runs, and its end with the elapsed seconds.
step() {
  local name=$1 t0=$SECONDS rc=0 beat
  shift
  log "$name: started"
  (
    exec 9>&- # the lock stays with the script
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 60 &
      nap=$!
      wait "$nap"
      log "$name: still running, $((SECONDS - t0))s so far"
    done
  ) &
  beat=$!
  "$@" >&2 || rc=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    log "$name: failed after $((SECONDS - t0))s (exit $rc)"
    return "$rc"
  fi
  log "$name: done in $((SECONDS - t0))s"
}
