#!/usr/bin/env bash
# Fails when a tracked file is larger than MAX_BYTES (2 MiB by default): build outputs and data a script can make
# again must stay out of the repository (a tracked 106 MB binary once made a whole submission too big to land).
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_BYTES=${MAX_BYTES:-2097152}
too_big=$(git ls-files -z | xargs -0 stat -c '%s %n' 2>/dev/null | awk -v max="$MAX_BYTES" '$1 > max')
if [[ -n "$too_big" ]]; then
  echo "tracked files larger than $MAX_BYTES bytes (remove them from git, ignore build outputs):" >&2
  echo "$too_big" >&2
  exit 1
fi
