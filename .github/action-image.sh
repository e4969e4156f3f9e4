#!/usr/bin/env bash
# action-image.sh reads or sets the image the shipgate action runs: the
# runs.image line of an action.yml.
#
#   action-image.sh get ACTION_YML         prints runs.image
#   action-image.sh set ACTION_YML IMAGE   sets it to IMAGE, a prebuilt
#                                          docker://name@sha256:… or
#                                          docker://name:tag; nothing else
#                                          in the file changes
#
# The release workflow (publish.yml) pins a release's digest with it, and
# .github/actions/action-image points a checkout at the image under test.
set -euo pipefail

usage() {
  echo "usage: action-image.sh get ACTION_YML | set ACTION_YML docker://IMAGE" >&2
  exit 2
}

# lines prints "LINE<TAB>VALUE" for each image: key directly under runs:.
lines() {
  awk '
    /^[^[:space:]#]/ { inruns = ($0 ~ /^runs:[[:space:]]*$/) }
    inruns && /^  image:/ {
      v = $0
      sub(/^  image:[[:space:]]*/, "", v)
      sub(/[[:space:]]+#.*$/, "", v)
      gsub(/^["\x27]|["\x27]$/, "", v)
      print NR "\t" v
    }' "$1"
}

[ $# -ge 2 ] || usage
cmd=$1 file=$2
[ -f "$file" ] || { echo "action-image.sh: $file: no such file" >&2; exit 1; }
found=$(lines "$file")
if [ "$(printf '%s' "$found" | grep -c .)" != 1 ]; then
  echo "action-image.sh: $file: want exactly one runs.image line, found ${found:-none}" >&2
  exit 1
fi
line=${found%%$'\t'*}

case $cmd in
get)
  [ $# -eq 2 ] || usage
  printf '%s\n' "${found#*$'\t'}"
  ;;
set)
  [ $# -eq 3 ] || usage
  image=$3
  # A reference, not a build: docker://[registry/]name(:tag|@sha256:<64 hex>).
  re='^docker://[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$'
  if ! [[ $image =~ $re ]]; then
    echo "action-image.sh: $image is not a prebuilt image; give docker://name@sha256:<64 hex digits> or docker://name:tag" >&2
    exit 1
  fi
  tmp=$(mktemp "$file.XXXXXX")
  awk -v n="$line" -v image="$image" 'NR == n { print "  image: " image; next } { print }' "$file" >"$tmp"
  chmod --reference="$file" "$tmp" 2>/dev/null || true
  mv "$tmp" "$file"
  ;;
*)
  usage
  ;;
esac
