#!/usr/bin/env bash
# Shared by the .ci/build-*.sh scripts; source it after defining log and
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
