"""Summarises a scripts/bench-photos.sh run as Markdown tables (stdout).
usage: report.py ROOT MAX_BYTES LONG_EDGE"""
import json, os, re, statistics, sys

root, max_bytes, long = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Tools without results (not run on this machine) are left out of the report.
tools = [t for t in ["rentsync", "sharp", "libvips", "imagemagick", "pillow"]
         if os.path.exists(os.path.join(sys.argv[1], "out", t, "results.txt"))]
stems = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(root, "corpus", "in")))
LINE = re.compile(r"^(?P<file>\S+): (?P<inb>\d+) bytes \S+( \(decoded at \S+\))? -> (?P<bytes>\d+) bytes \S+, "
                  r"quality (?P<q>[\d.]+), (?P<enc>\d+) encode\(s\)( \+ (?P<proxy>\d+) on the 1/4 proxy)?")

def stem(path):
    return os.path.splitext(os.path.basename(path))[0]

def results(tool):
    out = {}
    for line in open(os.path.join(root, "out", tool, "results.txt")):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            out[stem(r["file"])] = r
        elif (m := LINE.match(line)):
            out[stem(m["file"])] = {"bytes": int(m["bytes"]), "quality": float(m["q"]), "encodes": int(m["enc"]),
                                   "proxy": int(m["proxy"] or 0)}
        elif ": FAILED" in line:
            out[stem(line.split(":")[0])] = {"error": line.split("FAILED: ", 1)[1]}
    return out

def table(path, cols):
    rows = {}
    if os.path.exists(path):
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                rows[parts[0]] = parts[1:] if cols is None else parts[1].split() if cols == "time" else parts[1:]
    return rows

summary, per_image = [], {s: {} for s in stems}
for tool in tools:
    res = results(tool)
    wall, user, sys_, rss = open(os.path.join(root, "out", tool, "time.txt")).read().split()[-4:]
    single = table(os.path.join(root, "out", tool, "single.tsv"), "time")
    scores = table(os.path.join(root, "out", tool, "scores.tsv"), None)
    ok = [s for s in stems if s in res and "error" not in res[s]]
    cpu = float(user) + float(sys_)
    s2 = [float(scores[s][0]) for s in ok if s in scores]
    ssim = [float(scores[s][1]) for s in ok if s in scores]
    enc = [res[s]["encodes"] for s in ok if res[s].get("encodes") is not None]
    proxy = [res[s].get("proxy", 0) for s in ok]
    sizes = [res[s]["bytes"] for s in ok]
    rss_each = {s: int(single[s][3]) / 1024 for s in single if len(single[s]) == 4}
    summary.append({
        "tool": tool, "ok": len(ok), "failed": len(stems) - len(ok),
        "ips": len(ok) / cpu if cpu else 0, "wall": float(wall), "cpu": cpu,
        "s2": statistics.mean(s2) if s2 else float("nan"),
        "s2min": min(s2) if s2 else float("nan"),
        "ssim": statistics.mean(ssim) if ssim else float("nan"),
        "kb": statistics.mean(sizes) / 1000 if sizes else 0,
        "over": sum(1 for b in sizes if b > max_bytes),
        "enc": statistics.mean(enc) if enc else None,
        "proxy": statistics.mean(proxy) if proxy else 0,
        "rss": max(rss_each.values()) if rss_each else 0,
        "rss48": rss_each.get("mp48", 0),
    })
    for s in stems:
        if s in res and "error" in res[s]:
            per_image[s][tool] = "failed"
        elif s in scores:
            per_image[s][tool] = f"{float(scores[s][0]):.1f}"
        else:
            per_image[s][tool] = "-"

print(f"Budget {max_bytes:,} bytes, long edge {long} px, {len(stems)} inputs.\n")
print("| tool | ok / failed | images per CPU-s | CPU s | wall s | SSIMULACRA2 mean (min) | SSIM mean | mean KB | over budget | encodes/image | peak RSS, any image (MB) | peak RSS, 48 MP (MB) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in summary:
    enc = f"{r['enc']:.2f}" if r["enc"] is not None else "n/a (internal)"
    if r["proxy"]:
        enc += f" + {r['proxy']:.2f} on a 1/4 proxy"
    print(f"| {r['tool']} | {r['ok']} / {r['failed']} | {r['ips']:.2f} | {r['cpu']:.1f} | {r['wall']:.1f} | "
          f"{r['s2']:.2f} ({r['s2min']:.1f}) | {r['ssim']:.4f} | {r['kb']:.0f} | {r['over']} | {enc} | {r['rss']:.0f} | {r['rss48']:.0f} |")
print("\nSSIMULACRA2 per input (higher is better; 90 is visually lossless, 70 is high quality):\n")
print("| input | " + " | ".join(tools) + " |")
print("|---|" + "---|" * len(tools))
for s in stems:
    print(f"| {s} | " + " | ".join(per_image[s].get(t, "-") for t in tools) + " |")
