#!/usr/bin/env bash
# Photo pipeline benchmark: rentsync against sharp, libvips (pyvips), ImageMagick and Pillow on the
# same corpus (scripts/photo-corpus.sh), the same byte budget and the same long-edge cap.
#   [TOOLS="rentsync sharp ..."] scripts/bench-photos.sh [MAX_BYTES=700000] [LONG_EDGE=2560]
# Measures, per tool: images per CPU-second and wall time over the whole corpus in one process,
# peak RSS per image (one process per image), output bytes, encodes, and quality against each
# input's reference (SSIMULACRA2 and SSIM, bench/photo-score). Writes target/photo-bench/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
max_bytes=${1:-700000}
long=${2:-2560}
root=$PWD/target/photo-bench
SRGB=/usr/share/color/icc/colord/sRGB.icc

cargo build --release --quiet
scripts/photo-corpus.sh >/dev/null
score=target/photo-score/release/photo-score

# Peers, installed under target/photo-bench (nothing system-wide but Debian's libvips).
command -v vips >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips42 >/dev/null; }
[ -x "$root/venv/bin/python" ] || python3 -m venv "$root/venv"
"$root/venv/bin/python" -c 'import pyvips, PIL' 2>/dev/null || "$root/venv/bin/pip" install -q pyvips==3.2.0 pillow==13.0.0
[ -d "$root/node_modules/sharp" ] || (cd "$root" && npm install --silent --no-save sharp@0.34.5 >/dev/null)

peers=$PWD/bench/photo-peers
run_tool() { # run_tool TOOL OUTDIR INPUT...
  local tool=$1 out=$2; shift 2
  case $tool in
    rentsync) target/release/rentsync photo --max-bytes "$max_bytes" --long-edge "$long" --out "$out" "$@" || true ;;
    sharp) NODE_PATH=$root/node_modules node "$peers/sharp.js" "$out" "$max_bytes" "$long" "$@" ;;
    libvips) "$root/venv/bin/python" "$peers/vips.py" "$out" "$max_bytes" "$long" "$@" ;;
    imagemagick) "$peers/magick.sh" "$out" "$max_bytes" "$long" "$@" ;;
    pillow) "$root/venv/bin/python" "$peers/pillow.py" "$out" "$max_bytes" "$long" "$@" ;;
  esac
}
# TOOLS="rentsync" re-measures some tools and keeps the others' last results in the report.
read -r -a tools <<< "${TOOLS:-rentsync sharp libvips imagemagick pillow}"
inputs=("$root"/corpus/in/*)
for tool in "${tools[@]}"; do
  out=$root/out/$tool
  rm -rf "$out" && mkdir -p "$out/single"
  echo "== $tool: batch" >&2
  /usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" bash -c "$(declare -f run_tool); max_bytes=$max_bytes long=$long root=$root peers=$peers; run_tool $tool $out ${inputs[*]}" > "$out/results.txt"
  echo "== $tool: one process per image" >&2
  : > "$out/single.tsv"
  for f in "${inputs[@]}"; do
    /usr/bin/time -f '%e %U %S %M' -o "$out/single/t" bash -c "$(declare -f run_tool); max_bytes=$max_bytes long=$long root=$root peers=$peers; run_tool $tool $out/single $f" >/dev/null
    printf '%s\t%s\n' "$(basename "${f%.*}")" "$(cat "$out/single/t")" >> "$out/single.tsv"
  done
  echo "== $tool: scoring" >&2
  : > "$out/scores.tsv"
  for f in "${inputs[@]}"; do
    stem=$(basename "${f%.*}")
    jpg=$out/$stem.jpg
    [ -f "$jpg" ] || continue
    # Decode with libjpeg; an output that carries a profile is shown through it, as browsers do.
    if [ -n "$(identify -format '%[profile:icc]' "$jpg" 2>/dev/null)" ]; then
      convert "$jpg" -profile "$SRGB" -type TrueColor "$out/single/$stem.png"
    else
      convert "$jpg" -colorspace sRGB -type TrueColor "$out/single/$stem.png"
    fi
    printf '%s\t%s\n' "$stem" "$("$score" score "$root/corpus/ref/$stem.png" "$out/single/$stem.png" | cut -f2-)" >> "$out/scores.tsv"
  done
done
"$root/venv/bin/python" bench/photo-peers/report.py "$root" "$max_bytes" "$long" | tee "$root/report.md"
