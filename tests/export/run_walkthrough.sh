#!/bin/bash
# Runs docs/from_pytorch.md's walkthrough (cut out by tests/export/CMakeLists.txt) in a fresh directory,
# with admn-export, admn-inspect and admn-run side by side first on PATH (as `cmake --install` puts them)
# and $ADMN set to the source tree, as the guide assumes.
#   run_walkthrough.sh WALKTHROUGH.sh WORKDIR SOURCE_DIR ADMN_EXPORT ADMN_INSPECT ADMN_RUN
# Exit 77 (CTest: skipped) when /usr/bin/python3 has no torch.
set -eu
/usr/bin/python3 -c 'import torch' 2> /dev/null || { echo "skipped: /usr/bin/python3 has no torch"; exit 77; }
rm -rf "$2"
mkdir -p "$2/bin" "$2/run"
ln -s "$4" "$2/bin/admn-export"
ln -s "$5" "$2/bin/admn-inspect"
ln -s "$6" "$2/bin/admn-run"
cd "$2/run"
PATH="$2/bin:$PATH" ADMN="$3" exec /bin/bash "$1"
