# tools/lib.sh — shell functions the benchmark scripts share; sourced, never run.

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# The CPU's model name.
cpu_model() { lscpu | sed -n 's/^Model name: *//p'; }

# gtdm_full DIR: the random full-size GTDM (two ViT-B/16, ~723 MB) and its golden cases in DIR,
# made once by tests/reference/gtdm_full.py (~30 s) and again when that script or the reference
# it imports changes; then read into the page cache, so that timings read from memory.
gtdm_full() {
  local dir=$1
  if [[ ! -s "$dir/model.safetensors" || ! -s "$dir/cases.safetensors" ||
        tests/reference/gtdm_full.py -nt "$dir/model.safetensors" ||
        tests/reference/admn_ref.py -nt "$dir/model.safetensors" ]]; then
    mkdir -p "$dir"
    /usr/bin/python3 tests/reference/gtdm_full.py "$dir"
  fi
  cat "$dir/model.safetensors" > /dev/null
}
