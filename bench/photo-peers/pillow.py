"""Pillow 13 under a byte budget, done carefully: draft() for DCT-scaled JPEG decoding,
exif_transpose, embedded ICC profile (RGB or CMYK) to sRGB with ImageCms, CMYK without profile by
Pillow's naive conversion, alpha flattened on white, thumbnail() with Lanczos, then a bisection on
integer quality 60-95 (optimize=True). One JSON line per input.
usage: python pillow.py OUTDIR MAX_BYTES LONG IN..."""
import io

from PIL import Image, ImageCms, ImageOps

from bisect_budget import main

SRGB = ImageCms.createProfile("sRGB")

def load(path, long):
    img = Image.open(path)
    if img.format == "JPEG":
        img.draft(img.mode, (long, long))
    img = ImageOps.exif_transpose(img)
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "CMYK", "RGBA"):
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if img.mode == "RGBA" else "RGB"
        img = ImageCms.profileToProfile(img, src, SRGB, outputMode=mode)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGB", img.size, (255, 255, 255))
        bg.paste(img, mask=img.getchannel("A"))
        img = bg
    elif img.mode != "L":
        img = img.convert("RGB")
    img.thumbnail((long, long), Image.LANCZOS)
    return img

def encode(img, q):
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=q, optimize=True)
    return buf.getvalue()


main(load, encode, lambda img: img.resize((int(img.width * 0.85), int(img.height * 0.85)), Image.LANCZOS))
