#!/usr/bin/env bash
# Bridge data plane: download + sha256 verify + extract of a ~50 MB shader package (random-ish
# textures, so it does not compress away) with the bridge's own code (bridge/internal/download,
# bridge/internal/extract, files fsynced), against `curl -s URL | sha256sum` + `unzip -q` of the
# same file. The package is served by versitygw through a presigned URL when S3 is up, else (or
# with BRIDGE_BENCH_SOURCE=local) by a loopback file server. Reports baseline_time / our_time
# (higher is better; target >= 0.9). BRIDGE_BENCH_TIMES=1 prints the bridge's phase times.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_apt unzip curl

runs=${BRIDGE_BENCH_RUNS:-5} mb=${BRIDGE_BENCH_MB:-50}
bench_dir="$OCTANE_LOCAL/bench" tool="$OCTANE_LOCAL/bin/bridge-benchtool"
mkdir -p "$bench_dir"
go build -o "$tool" ./bridge/internal/download/benchtool || die "cannot build the bench tool"

zipf="$bench_dir/bridge-${mb}mb.zip"
meta=$("$tool" gen -out "$zipf" -mb "$mb") || die "cannot generate the package"
sha=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sha256"])' "$meta")
size=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["size"])' "$meta")

work=$(mktemp -d) server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
if [ "${BRIDGE_BENCH_SOURCE:-}" != local ] && port_open 9000; then
  url=$("$tool" s3put -file "$zipf" -key "bench/$(basename "$zipf")") || die "cannot upload to versitygw"
  origin="versitygw presigned URL"
else
  "$tool" serve -dir "$bench_dir" -for 20m >"$work/serve.out" &
  server_pid=$!
  for _ in $(seq 50); do [ -s "$work/serve.out" ] && break; sleep 0.1; done
  url="$(head -1 "$work/serve.out")$(basename "$zipf")"
  origin="loopback http.FileServer"
fi

now_us() { date +%s%6N; }
baseline_once() {
  rm -rf "$work/b" && mkdir "$work/b"
  curl -sf "$url" | sha256sum | grep -q "^$sha " || die "baseline: sha256 mismatch"
  unzip -q "$zipf" -d "$work/b"
}
ours_once() {
  rm -rf "$work/o" && mkdir "$work/o"
  "$tool" fetch -url "$url" -sha "$sha" -size "$size" -work "$work/o" ${BRIDGE_BENCH_TIMES:+-times} || die "bridge fetch failed"
}
baseline_once; ours_once # warm the page cache and the server for both
base_times=() our_times=()
for _ in $(seq "$runs"); do
  s=$(now_us); baseline_once; e=$(now_us); base_times+=($((e - s)))
  s=$(now_us); ours_once; e=$(now_us); our_times+=($((e - s)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
base_us=$(median "${base_times[@]}") our_us=$(median "${our_times[@]}")
ratio=$(awk -v b="$base_us" -v o="$our_us" 'BEGIN { printf "%.3f", b / o }')
base_s=$(awk -v b="$base_us" 'BEGIN { printf "%.4f", b / 1e6 }')
our_s=$(awk -v o="$our_us" 'BEGIN { printf "%.4f", o / 1e6 }')
echo "bridge data plane, $((size >> 20)) MB from $origin, median of $runs: bridge ${our_s}s, curl|sha256sum+unzip ${base_s}s -> ${ratio}x (target >= 0.9)"
bench_result "bridge download+verify+extract vs curl|sha256sum+unzip" "$ratio" "x" 0.9 "$base_s"
bench_result "bridge_download_verify_extract_s" "$our_s" "s" null null
