"""The budget search and the command line shared by the Python peers (pillow.py, vips.py):
a bisection on integer quality 60-95, shrinking by 0.85 when even 60 does not fit, and one JSON
line per input."""
import json, os, sys, time


def fit(path, out_dir, max_bytes, load, encode, shrink):
    """load(path) -> image; encode(image, q) -> bytes; shrink(image) -> image 0.85x smaller."""
    t0 = time.perf_counter()
    img = load(path)
    encodes = 0
    while True:
        lo, hi, best, best_q = 60, 95, None, 0
        while lo <= hi:
            q = (lo + hi) // 2
            encodes += 1
            buf = encode(img, q)
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
        img = shrink(img)


def main(load, encode, shrink):
    """usage: SCRIPT OUTDIR MAX_BYTES LONG IN...; load(path, long) reads and prepares an input."""
    out_dir, max_bytes, long = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for p in sys.argv[4:]:
        try:
            fit(p, out_dir, max_bytes, lambda path: load(path, long), encode, shrink)
        except Exception as e:
            print(json.dumps({"file": p, "error": str(e)}), flush=True)
