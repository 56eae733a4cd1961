#!/usr/bin/env bash
# expect.sh CODE PATTERN -- COMMAND...: runs COMMAND, checks its exit code is CODE and, when
# PATTERN is not empty, that stderr is a single line matching PATTERN (an error message).
set -u
code=$1 pattern=$2
shift 3
err=$(mktemp)
"$@" >/dev/null 2>"$err"
rc=$?
lines=$(wc -l <"$err")
msg=$(cat "$err")
rm -f "$err"
if [ "$rc" -ne "$code" ]; then
  echo "expected exit code $code, got $rc; stderr: $msg"
  exit 1
fi
if [ -n "$pattern" ]; then
  if [ "$lines" -ne 1 ]; then echo "expected one line on stderr, got $lines: $msg"; exit 1; fi
  if ! grep -Eq -- "$pattern" <<<"$msg"; then echo "stderr does not match '$pattern': $msg"; exit 1; fi
fi
echo "ok: exit $rc"
