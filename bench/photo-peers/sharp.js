// sharp (libvips 8.17) as an integrator would use it under a byte budget: auto-orient, flatten on
// white, fit inside LONG×LONG without enlarging, sRGB out (sharp converts embedded profiles, and
// CMYK with its built-in profile), then a bisection on integer quality 60–95 over the decoded,
// resized pixels (decoded once). Prints one JSON line per input.
// usage: node sharp.js OUTDIR MAX_BYTES LONG IN...
const sharp = require('sharp');
const path = require('path');
const fs = require('fs');
sharp.cache(false);

async function fit(file, outDir, maxBytes, long) {
  const t0 = process.hrtime.bigint();
  let { data, info } = await sharp(file, { failOn: 'none', limitInputPixels: 1e9 })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(long, long, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  let encodes = 0;
  for (;;) {
    const raw = { width: info.width, height: info.height, channels: info.channels };
    const enc = async (q) => { encodes++; return sharp(data, { raw }).jpeg({ quality: q }).toBuffer(); };
    let lo = 60, hi = 95, best = null, bestQ = 0;
    while (lo <= hi) {
      const q = (lo + hi) >> 1;
      const out = await enc(q);
      if (out.length <= maxBytes) { best = out; bestQ = q; lo = q + 1; } else { hi = q - 1; }
    }
    if (best) {
      const out = path.join(outDir, path.parse(file).name + '.jpg');
      fs.writeFileSync(out, best);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      console.log(JSON.stringify({ file, out, bytes: best.length, quality: bestQ, encodes, ms }));
      return;
    }
    const w = Math.round(info.width * 0.85), h = Math.round(info.height * 0.85);
    ({ data, info } = await sharp(data, { raw }).resize(w, h).raw().toBuffer({ resolveWithObject: true }));
  }
}

(async () => {
  const [outDir, maxBytes, long, ...files] = process.argv.slice(2);
  for (const f of files) {
    try { await fit(f, outDir, Number(maxBytes), Number(long)); }
    catch (e) { console.log(JSON.stringify({ file: f, error: String(e) })); }
  }
})();
