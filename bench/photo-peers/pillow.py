"""Pillow 13 under a byte budget, done carefully: draft() for DCT-scaled JPEG decoding,
exif_transpose, embedded ICC profile (RGB or CMYK) to sRGB with ImageCms, CMYK without profile by
Pillow's naive conversion, alpha flattened on white, thumbnail() with Lanczos, then a bisection on
integer quality 60-95 (optimize=True). One JSON line per input.
usage: python pillow.py OUTDIR MAX_BYTES LONG IN..."""
import io, json, os, sys, time
from PIL import Image, ImageCms, ImageOps

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

def fit(path, out_dir, max_bytes, long):
    t0 = time.perf_counter()
    img = load(path, long)
    encodes = 0
    while True:
        lo, hi, best, best_q = 60, 95, None, 0
        while lo <= hi:
            q = (lo + hi) // 2
            encodes += 1
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=q, optimize=True)
            if buf.tell() <= max_bytes:
                best, best_q, lo = buf.getvalue(), q, q + 1
            else:
                hi = q - 1
        if best is not None:
            out = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".jpg")
            with open(out, "wb") as f:
                f.write(best)
            ms = (time.perf_counter() - t0) * 1000
            print(json.dumps({"file": path, "out": out, "bytes": len(best), "quality": best_q, "encodes": encodes, "ms": ms}), flush=True)
            return
        img = img.resize((int(img.width * 0.85), int(img.height * 0.85)), Image.LANCZOS)

out_dir, max_bytes, long = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for p in sys.argv[4:]:
    try:
        fit(p, out_dir, max_bytes, long)
    except Exception as e:
        print(json.dumps({"file": p, "error": str(e)}), flush=True)
