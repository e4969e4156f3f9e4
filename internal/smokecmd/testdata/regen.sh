#!/bin/sh
# Regenerates the checked-in go test outputs in gotest/ from the module in
# mod/ (pass, fail, skip, subtests, panic, build failure, TestMain exit).
# Absolute paths become @MOD@, which the golden test replaces with mod's path.
set -u
cd "$(dirname "$0")/mod" || exit 1
mod=$(pwd)
run() {
	out=../gotest/$1
	shift
	GOFLAGS=-mod=mod GOPROXY=off go test "$@" ./... >"$out" 2>&1
	sed -i "s#$mod#@MOD@#g" "$out"
}
mkdir -p ../gotest
run verbose.txt -v
run json.txt -json
run short.txt
