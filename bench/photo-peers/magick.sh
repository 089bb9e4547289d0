#!/usr/bin/env bash
# ImageMagick 6 under a byte budget, as its documentation suggests: auto-orient, flatten on white,
# shrink-on-load hint for JPEG (-define jpeg:size), fit inside LONG×LONG (never enlarge), strip
# metadata, and let -define jpeg:extent search the quality. IM does not convert embedded profiles
# to sRGB unless told per file, so wide-gamut and CMYK files keep their numbers (-colorspace sRGB
# turns CMYK into RGB naively). One JSON line per input.
# usage: magick.sh OUTDIR MAX_BYTES LONG IN...
out_dir=$1 max_bytes=$2 long=$3; shift 3
for f in "$@"; do
  out="$out_dir/$(basename "${f%.*}").jpg"
  t0=$(date +%s%N)
  if convert -define jpeg:size=$((long * 2))x$((long * 2)) "$f" -auto-orient -background white -flatten \
      -colorspace sRGB -resize "${long}x${long}>" -strip -sampling-factor 4:2:0 \
      -define jpeg:extent="$max_bytes" "$out" 2>/dev/null; then
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    q=$(identify -format '%Q' "$out")
    printf '{"file":"%s","out":"%s","bytes":%d,"quality":%s,"encodes":null,"ms":%d}\n' "$f" "$out" "$(stat -c %s "$out")" "$q" "$ms"
  else
    printf '{"file":"%s","error":"convert failed"}\n' "$f"
  fi
done
