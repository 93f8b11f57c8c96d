#!/usr/bin/env bash
# Quality floors on the development sets (issue 3): fails if a change loses
# retrieval quality. Floors sit a little below the measured figures; raise
# them when quality improves. Usage: relevance_floor.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$("$here/../bench/relevance" "$build")
echo "$out"
fail=0
check() {  # set floor
  local mrr
  mrr=$(awk -v s="$1" '$1 == s {print $3}' <<< "$out")
  if [ -z "$mrr" ]; then echo "FAIL: no figure for $1"; fail=1; return; fi
  if awk -v m="$mrr" -v f="$2" 'BEGIN {exit !(m < f)}'; then
    echo "FAIL: $1 MRR@10 $mrr is below the floor $2"; fail=1
  else
    echo "ok: $1 MRR@10 $mrr >= $2"
  fi
}
# en-to-zh varies by about +-0.004 from run to run (a known, unexplained
# ranking nondeterminism on some long translated queries; see the issue 3
# note), so its floor leaves room for that.
check ntrex-en-to-zh 0.895
check ntrex-zh-to-en 0.88
check ntrex-hans-to-hant 0.91
exit $fail
