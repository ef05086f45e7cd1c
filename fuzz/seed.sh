#!/bin/sh
# Builds the seed corpora fuzz/corpus/<target>/ from the shared corpus of
# real captures (default ../shared/corpus beside the project).
# Usage: fuzz/seed.sh [CORPUS_DIR] [OUT_DIR]. The output is gitignored.
set -eu
cd "$(dirname "$0")"
exec cargo run --quiet --release --example seed -- "$@"
