#!/usr/bin/env bash
# The long model-based run (issue 12) in shards of 25 sequences, seeds FIRST..LAST, on a worktree of one commit, so it
# can go on across sessions and other work in the clone does not change the code under it (docs/reliability.md).
#   scripts/model-shards.sh <commit> [first=1001] [last=1040]      reports: data/model-shards/<commit>/shard-<seed>.json
#   scripts/model-shards.sh --sum [--out FILE] <commit> [<commit> …]  the totals of the reports so far (for docs/reliability.md);
#                                                                   a seed run again at a later commit counts once (scripts/model-shards-sum.ts)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sum" ]; then
  shift
  exec node node_modules/tsx/dist/cli.mjs scripts/model-shards-sum.ts "$@"
fi
commit=$(git rev-parse --short "${1:?commit}"); first=${2:-1001}; last=${3:-1040}
tree="data/model-shards/tree-$commit"; out="$PWD/data/model-shards/$commit"
mkdir -p "$out"
[ -d "$tree" ] || { git worktree add -q --detach "$tree" "$commit" && ln -s "$PWD/node_modules" "$tree/node_modules"; }
for seed in $(seq "$first" "$last"); do
  [ -f "$out/shard-$seed.json" ] && continue   # done already: a shard replays exactly, so it is not run twice
  (cd "$tree" && MODEL_SCENARIOS=0 node --import tsx test/model/run.ts --runs 25 --keep-going --seed "$seed" --report "$out/shard-$seed.json") > "$out/shard-$seed.log" 2>&1
  status=$?
  echo "$(date -u +%FT%TZ) seed $seed exit $status" | tee -a "$out/progress.log"
done
