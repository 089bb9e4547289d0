#!/usr/bin/env bash
# Builds the photo benchmark corpus in target/photo-bench/corpus: real photographs from Debian's
# lomiri-wallpapers packages (fetched with apt-get download, unpacked, nothing installed), plus edge
# cases made from them with ImageMagick and exiftool. Each input in in/ has a reference in ref/:
# the picture it should look like, upright, in sRGB, at full size (PNG).
set -euo pipefail
cd "$(dirname "$0")/.."
root=target/photo-bench
corpus=$root/corpus
mkdir -p "$root/debs" "$corpus/in" "$corpus/ref"
need=()
command -v convert >/dev/null || need+=(imagemagick)
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
[ -f /usr/share/color/icc/ghostscript/default_cmyk.icc ] || need+=(libgs-common)
[ -f /usr/share/color/icc/colord/AdobeRGB1998.icc ] || need+=(colord-data)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
SRGB=/usr/share/color/icc/colord/sRGB.icc
CMYK=/usr/share/color/icc/ghostscript/default_cmyk.icc
ADOBE=/usr/share/color/icc/colord/AdobeRGB1998.icc
P3=$root/DisplayP3.icc
score=target/photo-score/release/photo-score
[ -x "$score" ] || CARGO_TARGET_DIR=target/photo-score cargo build --release --quiet --manifest-path bench/photo-score/Cargo.toml
[ -f "$P3" ] || "$score" icc-p3 "$P3"

bg=$root/debs/usr/share/backgrounds
if [ ! -d "$bg" ]; then
  (cd "$root" && apt-get download -qq lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 2>/dev/null)
  for d in "$root"/lomiri-wallpapers-*.deb; do dpkg-deb -x "$d" "$root/debs"; done
fi

# Photographs, unchanged (JPEG, 3.6–20 MP, baseline and progressive).
photos=(Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly Kleiber_by_Lukas_Baubkus Wine_by_Jakkub_Mede
  aitzgorri_by_Aitzol_Berasategi free_by_Peter_Nerlich friends_by_Aitzol_Berasategi
  greentock_by_Peter_Nerlich life_by_Aitzol_Berasategi picosdeeuropa_by_Aitzol_Berasategi
  seeding_by_Clements_Engelhardt sunset_by_Aitzol_Berasategi umang_by_Abhishek_Mudgal)
for p in "${photos[@]}"; do
  [ -f "$corpus/in/$p.jpg" ] && continue
  cp "$bg/$p.jpg" "$corpus/in/$p.jpg"
  convert "$bg/$p.jpg" -auto-orient "$corpus/ref/$p.png"
done

build_input() { # build_input NAME EXT COMMAND...: builds in/NAME.EXT unless present
  local name=$1 ext=$2; shift 2
  [ -f "$corpus/in/$name.$ext" ] && return 1
  "$@" "$corpus/in/$name.$ext"
}
base=$bg/life_by_Aitzol_Berasategi.jpg      # 3088×2056 landscape
warm=$bg/sunset_by_Aitzol_Berasategi.jpg    # 4272×2848, saturated
# EXIF orientation: the pixels stored turned, the tag saying how to turn them back.
for o in 3 6 8; do
  case $o in 3) rot=180 ;; 6) rot=-90 ;; 8) rot=90 ;; esac
  if build_input "orient-$o" jpg convert "$base" -rotate $rot -quality 95; then
    exiftool -q -overwrite_original -n -Orientation=$o "$corpus/in/orient-$o.jpg"
    convert "$base" "$corpus/ref/orient-$o.png"
  fi
done
# Colour spaces: the reference is what the file's own profile says (converted by lcms in IM).
build_input cmyk-profile jpg convert "$warm" -profile "$SRGB" -profile "$CMYK" -quality 95 &&
  convert "$corpus/in/cmyk-profile.jpg" -profile "$SRGB" "$corpus/ref/cmyk-profile.png"
# CMYK without a profile: the reference is the browsers' naive reading of the inks.
build_input cmyk-plain jpg convert "$corpus/in/cmyk-profile.jpg" +profile '*' -quality 95 &&
  convert "$corpus/in/cmyk-plain.jpg" -colorspace sRGB "$corpus/ref/cmyk-plain.png"
build_input adobe-rgb jpg convert "$warm" -profile "$SRGB" -profile "$ADOBE" -quality 95 &&
  convert "$corpus/in/adobe-rgb.jpg" -profile "$SRGB" "$corpus/ref/adobe-rgb.png"
build_input display-p3 jpg convert "$warm" -profile "$SRGB" -profile "$P3" -quality 95 &&
  convert "$corpus/in/display-p3.jpg" -profile "$SRGB" "$corpus/ref/display-p3.png"
# Encodings.
build_input grayscale jpg convert "$base" -colorspace Gray -quality 95 &&
  convert "$corpus/in/grayscale.jpg" -colorspace sRGB -type TrueColor "$corpus/ref/grayscale.png"
build_input progressive jpg convert "$warm" -interlace JPEG -quality 95 &&
  convert "$corpus/in/progressive.jpg" "$corpus/ref/progressive.png"
build_input png16 png convert "$base" -resize 3000x3000 -depth 16 &&
  convert "$corpus/in/png16.png" -depth 8 "$corpus/ref/png16.png"
build_input png-alpha png convert "$warm" -resize 2800x2800 \( +clone -sparse-color Barycentric '0,0 white %w,%h black' -fx 'u*0.8+0.2' \) \
    -alpha off -compose CopyOpacity -composite &&
  convert "$corpus/in/png-alpha.png" -background white -flatten "$corpus/ref/png-alpha.png"
build_input webp webp convert "$base" -quality 92 &&
  convert "$corpus/in/webp.webp" "$corpus/ref/webp.png"
build_input panorama jpg convert "$bg/aitzgorri_by_Aitzol_Berasategi.jpg" "$base" "$bg/sunset_by_Aitzol_Berasategi.jpg" \
    -resize x2400 +append -quality 92 &&
  convert "$corpus/in/panorama.jpg" "$corpus/ref/panorama.png"
# 48 MP: the 20 MP nuthatch enlarged to 9216×5184 (a phone's 48 MP mode has this shape).
build_input mp48 jpg convert "$bg/Kleiber_by_Lukas_Baubkus.jpg" -resize '9216x5184!' -quality 92 &&
  convert "$corpus/in/mp48.jpg" "$corpus/ref/mp48.png"
ls "$corpus/in" | wc -l
