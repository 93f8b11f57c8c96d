#!/usr/bin/env bash
# Quality floors on the development sets (issues 3, 14 and 22): fails if a change
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
# (Issue 22 lowered the Chinese queries' floors by .005: the words of a
# multi-word gloss alone are partial matches, found only as relaxed hits.)
check ntrex-en-to-zh single 3 0.92
check ntrex-zh-to-en single 3 0.915
check ntrex-hans-to-hant single 3 0.915
# Every version of every article.
check ntrex-en-to-zh bilingual 3 0.99
check ntrex-zh-to-en bilingual 3 0.99
check ntrex-hans-to-hant bilingual 3 0.99
# The mixed archive (corpus-view --mix 7): all queries, then per kind of target.
# (Issue 22 lowered the English-only targets of Chinese queries from .94
# and .935, for the same reason.)
check ntrex-en-to-zh mix-7 3 0.98
check ntrex-zh-to-en mix-7 3 0.97
check ntrex-hans-to-hant mix-7 3 0.96
check ntrex-en-to-zh mix-7 6 0.99
check ntrex-en-to-zh mix-7 7 0.99
check ntrex-en-to-zh mix-7 8 0.94
check ntrex-zh-to-en mix-7 6 0.99
check ntrex-zh-to-en mix-7 7 0.93
check ntrex-zh-to-en mix-7 8 0.99
check ntrex-hans-to-hant mix-7 6 0.99
check ntrex-hans-to-hant mix-7 7 0.9
check ntrex-hans-to-hant mix-7 8 0.99
# Sibling archive (corpus-view --mix 7 --split 4), keyword queries with a
# stray word (kw1) and without (kw0): all, then per kind of target (issue 22).
check ntrex-en-to-zh sib-7/kw1 3 0.95
check ntrex-en-to-zh sib-7/kw1 6 0.965
check ntrex-en-to-zh sib-7/kw1 7 0.99
check ntrex-en-to-zh sib-7/kw1 8 0.84
check ntrex-zh-to-en sib-7/kw1 3 0.875
check ntrex-zh-to-en sib-7/kw1 6 0.955
check ntrex-zh-to-en sib-7/kw1 7 0.68
check ntrex-zh-to-en sib-7/kw1 8 0.99
check ntrex-hans-to-hant sib-7/kw1 3 0.84
check ntrex-hans-to-hant sib-7/kw1 6 0.94
check ntrex-hans-to-hant sib-7/kw1 7 0.61
check ntrex-hans-to-hant sib-7/kw1 8 0.96
check ntrex-en-to-zh sib-7/kw0 3 0.95
check ntrex-en-to-zh sib-7/kw0 6 0.965
check ntrex-en-to-zh sib-7/kw0 7 0.98
check ntrex-en-to-zh sib-7/kw0 8 0.88
check ntrex-zh-to-en sib-7/kw0 3 0.875
check ntrex-zh-to-en sib-7/kw0 6 0.975
check ntrex-zh-to-en sib-7/kw0 7 0.66
check ntrex-zh-to-en sib-7/kw0 8 0.975
check ntrex-hans-to-hant sib-7/kw0 3 0.865
check ntrex-hans-to-hant sib-7/kw0 6 0.97
check ntrex-hans-to-hant sib-7/kw0 7 0.645
check ntrex-hans-to-hant sib-7/kw0 8 0.975
# Translation never costs the same-language answer: cross=auto at least
# cross=off on every set's all (issue 22).
for set_name in ntrex-en-to-zh ntrex-zh-to-en ntrex-hans-to-hant; do
  for kw in kw1 kw0; do
    on=$(awk -v s="$set_name" -v v="sib-7/$kw" '$1 == s && $2 == v {print $3}' <<< "$out")
    off=$(awk -v s="$set_name" -v v="sib-7/$kw/off" '$1 == s && $2 == v {print $3}' <<< "$out")
    if [ -z "$on" ] || [ -z "$off" ] || awk -v a="$on" -v b="$off" 'BEGIN {exit !(a < b)}'; then
      echo "FAIL: $set_name sib-7/$kw cross=auto ${on:-none} below cross=off ${off:-none}"; fail=1
    else
      echo "ok: $set_name sib-7/$kw cross=auto $on >= cross=off $off"
    fi
  done
done
exit $fail
