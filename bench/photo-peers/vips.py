"""pyvips (Debian's libvips 8.14) under a byte budget: thumbnail() (shrink-on-load, auto-rotate,
embedded profile or built-in CMYK profile to sRGB), flatten on white, then a bisection on integer
quality 60-95 over the thumbnail, kept in memory. One JSON line per input.
usage: python vips.py OUTDIR MAX_BYTES LONG IN..."""
import pyvips

from bisect_budget import main


def load(path, long):
    img = pyvips.Image.thumbnail(path, long, height=long, size="down", export_profile="srgb")
    if img.hasalpha():
        img = img.flatten(background=255)
    return img.copy_memory()


main(load, lambda img, q: img.jpegsave_buffer(Q=q, strip=True), lambda img: img.resize(0.85).copy_memory())
