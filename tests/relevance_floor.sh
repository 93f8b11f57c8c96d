#!/usr/bin/env bash
# Quality floors on the development sets (issues 3 and 14): fails if a change
# loses retrieval quality. Floors sit a little below the measured figures;
# raise them when quality improves. Usage: relevance_floor.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$("$here/../bench/relevance" "$build")
echo "$out"
fail=0
check() {  # set view column floor; column: 3 all, 6 bilingual targets, 7 English-only, 8 Chinese-only
  local mrr
  mrr=$(awk -v s="$1" -v v="$2" -v c="$3" '$1 == s && $2 == v {print $c}' <<< "$out")
  if [ -z "$mrr" ] || [ "$mrr" = nan ]; then echo "FAIL: no figure for $1 on $2 (column $3)"; fail=1; return; fi
  if awk -v m="$mrr" -v f="$4" 'BEGIN {exit !(m < f)}'; then
    echo "FAIL: $1 on $2 (column $3) MRR@10 $mrr is below the floor $4"; fail=1
  else
    echo "ok: $1 on $2 (column $3) MRR@10 $mrr >= $4"
  fi
}
# Single-language views.
check ntrex-en-to-zh single 3 0.915
check ntrex-zh-to-en single 3 0.92
check ntrex-hans-to-hant single 3 0.915
# Every version of every article.
check ntrex-en-to-zh bilingual 3 0.99
check ntrex-zh-to-en bilingual 3 0.99
check ntrex-hans-to-hant bilingual 3 0.99
# The mixed archive (corpus-view --mix 7): all queries, then per kind of target.
check ntrex-en-to-zh mix-7 3 0.97
check ntrex-zh-to-en mix-7 3 0.975
check ntrex-hans-to-hant mix-7 3 0.975
check ntrex-en-to-zh mix-7 6 0.985
check ntrex-en-to-zh mix-7 7 0.99
check ntrex-en-to-zh mix-7 8 0.91
check ntrex-zh-to-en mix-7 6 0.99
check ntrex-zh-to-en mix-7 7 0.94
check ntrex-zh-to-en mix-7 8 0.99
check ntrex-hans-to-hant mix-7 6 0.99
check ntrex-hans-to-hant mix-7 7 0.935
check ntrex-hans-to-hant mix-7 8 0.99
exit $fail
