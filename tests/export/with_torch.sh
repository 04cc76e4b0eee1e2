#!/bin/sh
# Runs /usr/bin/python3 with the given arguments, or exits 77 (CTest: skipped) when Debian's
# python3-torch is not installed (`tools/deps.sh reference`).
/usr/bin/python3 -c 'import torch' 2> /dev/null || { echo "skipped: /usr/bin/python3 with torch is not available"; exit 77; }
exec /usr/bin/python3 "$@"
