"""pyvips (Debian's libvips 8.14) under a byte budget: thumbnail() (shrink-on-load, auto-rotate,
embedded profile or built-in CMYK profile to sRGB), flatten on white, then a bisection on integer
quality 60-95 over the thumbnail, kept in memory. One JSON line per input.
usage: python vips.py OUTDIR MAX_BYTES LONG IN..."""
import json, os, sys, time
import pyvips

def fit(path, out_dir, max_bytes, long):
    t0 = time.perf_counter()
    img = pyvips.Image.thumbnail(path, long, height=long, size="down", export_profile="srgb")
    if img.hasalpha():
        img = img.flatten(background=255)
    img = img.copy_memory()
    encodes = 0
    while True:
        lo, hi, best, best_q = 60, 95, None, 0
        while lo <= hi:
            q = (lo + hi) // 2
            encodes += 1
            buf = img.jpegsave_buffer(Q=q, strip=True)
            if len(buf) <= max_bytes:
                best, best_q, lo = buf, q, q + 1
            else:
                hi = q - 1
        if best is not None:
            out = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".jpg")
            with open(out, "wb") as f:
                f.write(best)
            ms = (time.perf_counter() - t0) * 1000
            print(json.dumps({"file": path, "out": out, "bytes": len(best), "quality": best_q, "encodes": encodes, "ms": ms}), flush=True)
            return
        img = img.resize(0.85).copy_memory()

out_dir, max_bytes, long = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for p in sys.argv[4:]:
    try:
        fit(p, out_dir, max_bytes, long)
    except Exception as e:
        print(json.dumps({"file": p, "error": str(e)}), flush=True)
