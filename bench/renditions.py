"""Rendition cost per image family and size: ours (Pillow) and libvips side by side. Prints, asserts nothing.

    python -m bench.renditions                       # full run (~2 min on 2 cores)
    python -m bench.renditions --rounds 1 --runs 2   # a quick look

For each case, fresh subprocesses (the engines alternating, `rounds` each) make the full rendition set
(320 px + 1280 px WebP and a BlurHash) `runs` times after one warm-up; the table shows the median wall
time over all runs and the peak RSS (the process's VmHWM, which sees native allocations that
tracemalloc misses) next to the RSS after imports.
libvips (`pyvips[binary]`, its operation cache off) gets the same work: `thumbnail` with shrink-on-load
and auto-rotation to 1280 px, 320 px from that, the same WebP settings, and BlurHash from the 320 px image.
A WebP sweep (method × quality on a 1280 px and a 320 px photo) shows what the encoder settings cost.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/renditions.py` as well as `python -m bench.renditions`
    sys.path.insert(0, str(ROOT))

from tests.unit.imaging import corpus  # noqa: E402  (needs ROOT on the path)

CASES: list[tuple[str, str, Callable[[], bytes]]] = [
    ("JPEG 2 MP", "photo-2mp.jpg", lambda: corpus.jpeg_photo(1732, 1155)),
    ("JPEG 12 MP", "photo-12mp.jpg", lambda: corpus.jpeg_photo(4240, 2832)),
    ("JPEG 24 MP", "photo-24mp.jpg", lambda: corpus.jpeg_photo(6000, 4000)),
    ("JPEG 24 MP, EXIF 6", "photo-24mp-rot.jpg", lambda: corpus.jpeg_photo(6000, 4000, orientation=6)),
    ("PNG RGBA 6 MP", "alpha-6mp.png", lambda: corpus.png_alpha(3000, 2000)),
    ("PNG 16-bit 6 MP", "grey16-6mp.png", lambda: corpus.png16(3000, 2000)),
    ("HEIC 12 MP", "photo-12mp.heic", lambda: corpus.heic(4032, 3024)),
    ("WebP 2 MP", "photo-2mp.webp", lambda: _encoded(1732, 1155, "WEBP", quality=85)),
    ("WebP 12 MP", "photo-12mp.webp", lambda: _encoded(4240, 2832, "WEBP", quality=85)),
    ("TIFF 12 MP (LZW)", "photo-12mp.tif", lambda: _encoded(4240, 2832, "TIFF", compression="tiff_lzw")),
    ("TIFF 12 MP CMYK", "print-12mp.tif", lambda: corpus.tiff_photo(4240, 2832, "CMYK")),
]
FORMAT_BY_SUFFIX = {".jpg": "JPEG", ".png": "PNG", ".heic": "HEIC", ".webp": "WebP", ".tif": "TIFF"}


def _encoded(width: int, height: int, fmt: str, **params: Any) -> bytes:
    """The corpus's synthetic photo in another format."""
    buffer = io.BytesIO()
    corpus.photo_image(width, height).save(buffer, fmt, **params)
    return buffer.getvalue()


# --- child: one engine, one file ------------------------------------------------------------------------


def _memory_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process. Not ru_maxrss: Linux carries that over from the
    parent across exec, so a child would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _pillow(path: str) -> Callable[[], object]:
    from dam.domain.formats import FORMATS
    from dam.imaging.renditions import make_renditions

    fmt = next(f for f in FORMATS if f.name == FORMAT_BY_SUFFIX[Path(path).suffix])
    return lambda: make_renditions(path, fmt)


def _vips(path: str) -> Callable[[], object]:
    import pyvips
    from PIL import Image

    from dam.imaging import raster

    # libvips caches operation results: without this, every timed run after the warm-up got a still WebP's
    # decoded pixels from the cache (1.6 ms instead of ~115 ms at 12 MP). A worker renders each file once.
    pyvips.cache_set_max(0)

    def to_8bit(image: pyvips.Image) -> pyvips.Image:
        return image.colourspace("srgb") if image.format != "uchar" else image

    def run() -> object:
        # thumbnail() streams the file (shrink-on-load); materialise the result once, as it is used twice.
        preview = to_8bit(pyvips.Image.thumbnail(path, 1280, size="down")).copy_memory()
        thumbnail = preview.thumbnail_image(320)
        files = [
            thumbnail.webpsave_buffer(Q=raster.WEBP_QUALITY, effort=raster.WEBP_METHOD_THUMBNAIL, strip=True),
            preview.webpsave_buffer(Q=raster.WEBP_QUALITY, effort=raster.WEBP_METHOD_PREVIEW, strip=True),
        ]
        tiny = thumbnail.thumbnail_image(32)
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[tiny.bands]
        placeholder = raster.blurhash_of(Image.frombytes(mode, (tiny.width, tiny.height), tiny.write_to_memory()))
        return files, placeholder

    return run


def child(engine: str, path: str, runs: int) -> None:
    run = _pillow(path) if engine == "pillow" else _vips(path)
    base = _memory_mb("VmRSS")
    try:
        run()  # warm-up: first-call costs (codec init, font/profile caches) are not per-file costs
    except Exception as exc:  # report, don't crash: e.g. a libvips build without HEVC
        first_line = (str(exc).strip().splitlines() or [""])[-1]
        print(json.dumps({"error": f"{type(exc).__name__}: {first_line[:70]}"}))
        return
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"times": times, "peak_mb": _memory_mb("VmHWM"), "base_mb": base}))


# --- parent -------------------------------------------------------------------------------------------------


def _child(engine: str, path: Path, runs: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.renditions", "--child", engine, str(path), "--runs", str(runs)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:80]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _measure(path: Path, runs: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Both engines, alternating child processes for `rounds` rounds, so load from anything else
    running on the machine falls on both alike. Median over every timed run; worst peak memory."""
    results: dict[str, list[dict[str, Any]]] = {"pillow": [], "vips": []}
    for _ in range(rounds):
        for engine, found in results.items():
            found.append(_child(engine, path, runs))
    summary: dict[str, dict[str, Any]] = {}
    for engine, found in results.items():
        ok = [r for r in found if "error" not in r]
        if not ok:
            summary[engine] = found[0]
            continue
        times = [t for r in ok for t in r["times"]]
        peak, base = max(r["peak_mb"] for r in ok), min(r["base_mb"] for r in ok)
        summary[engine] = {"ms": statistics.median(times), "peak_mb": peak, "base_mb": base}
    return summary


def _build(folder: Path) -> list[tuple[str, Path]]:
    built = []
    for label, name, build in CASES:
        path = folder / name
        try:
            path.write_bytes(build())
        except Exception as exc:
            print(f"  (skipping {label}: {type(exc).__name__}: {exc})")
            continue
        built.append((label, path))
    return built


def _cell(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{'n/a':>8} {'':>13}"
    return f"{result['ms']:8.0f} {result['peak_mb']:6.0f}/{result['base_mb']:<6.0f}"


def compare(runs: int, rounds: int) -> None:
    print(
        f"Full rendition set (320 + 1280 px WebP + BlurHash), median of {rounds}×{runs} runs; "
        "memory = peak/after-import RSS MB"
    )
    print(f"{'case':<20} {'MP':>5} {'KB':>7} | {'Pillow ms':>8} {'mem MB':>13} | {'vips ms':>8} {'mem MB':>13} | ratio")
    with tempfile.TemporaryDirectory() as folder:
        for label, path in _build(Path(folder)):
            from PIL import Image

            from dam.imaging.limits import register_heif

            register_heif()
            with Image.open(path) as image:
                megapixels = image.width * image.height / 1e6
            measured = _measure(path, runs, rounds)
            ours, theirs = measured["pillow"], measured["vips"]
            ratio = f"{float(ours['ms']) / float(theirs['ms']):.2f}×" if "ms" in ours and "ms" in theirs else "—"
            note = f"  ({theirs['error']})" if "error" in theirs else ""
            size_kb = path.stat().st_size / 1024
            print(f"{label:<20} {megapixels:5.1f} {size_kb:7.0f} | {_cell(ours)} | {_cell(theirs)} | {ratio}{note}")


def stages() -> None:
    """Where the time goes for one 24 MP JPEG (Pillow path)."""
    from PIL import Image

    from dam.imaging import raster

    data = corpus.jpeg_photo(6000, 4000)
    timings: dict[str, list[float]] = {}

    def timed(name: str, action: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        value = action(*args)
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        return value

    for _ in range(5):
        image = Image.open(io.BytesIO(data))
        image.draft(None, raster.fit(image.size, 1280))
        timed("draft decode", image.load)
        preview = timed("resize → 1280", raster.resize, image, raster.fit(image.size, 1280))
        thumbnail = timed("resize 1280 → 320", raster.resize, preview, raster.fit(preview.size, 320))
        timed("WebP 1280", raster.encode_webp, preview, raster.WEBP_METHOD_PREVIEW)
        timed("WebP 320", raster.encode_webp, thumbnail, raster.WEBP_METHOD_THUMBNAIL)
        timed("BlurHash", raster.blurhash_of, thumbnail)
    summary = ", ".join(f"{name} {statistics.median(values):.1f}" for name, values in timings.items())
    print(f"\nPillow stages, 24 MP JPEG (median ms): {summary}")


def resize_sweep() -> None:
    """The resampling choice: time to 1280 px and PSNR against a plain Lanczos resize of the same pixels."""
    import math

    from PIL import Image, ImageChops, ImageStat

    def psnr(a: Image.Image, b: Image.Image) -> float:
        mse = sum(v * v for v in ImageStat.Stat(ImageChops.difference(a, b)).rms) / 3
        return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)

    jpeg = Image.open(io.BytesIO(corpus.jpeg_photo(6000, 4000)))
    jpeg.draft(None, (1280, 853))
    sources = {"24 MP JPEG after draft": jpeg, "12 MP decoded photo": corpus.photo_image(4032, 3024)}
    filters = [("Lanczos", Image.Resampling.LANCZOS, 2.0), ("bicubic", Image.Resampling.BICUBIC, 1.0)]
    print("\nResize to 1280 px (median of 5 ms; PSNR vs plain Lanczos)")
    for label, source in sources.items():
        source.load()
        size = (1280, round(1280 * source.height / source.width))
        reference = source.resize(size, Image.Resampling.LANCZOS)
        cells = []
        for name, resample, gap in filters:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                result = source.resize(size, resample, reducing_gap=gap)
                times.append((time.perf_counter() - start) * 1000)
            cells.append(f"{name} gap {gap:g}: {statistics.median(times):5.1f} ms {psnr(reference, result):4.1f} dB")
        print(f"  {label:<24} " + " | ".join(cells))


def webp_sweep() -> None:
    from PIL import Image

    photo = Image.open(io.BytesIO(corpus.jpeg_photo(6000, 4000)))
    photo.draft(None, (1280, 853))
    preview = photo.resize((1280, 853), Image.Resampling.LANCZOS, reducing_gap=2.0)
    thumbnail = preview.resize((320, 213), Image.Resampling.LANCZOS)
    print("\nWebP encoder sweep (median of 5 ms / KB)")
    print(f"{'quality':>7} {'method':>6} | {'1280 px ms':>10} {'KB':>6} | {'320 px ms':>9} {'KB':>5}")
    for quality in (75, 80, 85):
        for method in range(7):
            row = []
            for image in (preview, thumbnail):
                times, size = [], 0
                for _ in range(5):
                    buffer = io.BytesIO()
                    start = time.perf_counter()
                    image.save(buffer, "WEBP", quality=quality, method=method)
                    times.append((time.perf_counter() - start) * 1000)
                    size = buffer.tell()
                row.append((statistics.median(times), size / 1024))
            (big_ms, big_kb), (small_ms, small_kb) = row
            print(f"{quality:>7} {method:>6} | {big_ms:10.1f} {big_kb:6.1f} | {small_ms:9.1f} {small_kb:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"))
    parser.add_argument("--runs", type=int, default=3, help="timed runs per child process")
    parser.add_argument("--rounds", type=int, default=3, help="child processes per engine, alternating")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.runs)
        return
    compare(args.runs, args.rounds)
    stages()
    resize_sweep()
    webp_sweep()


if __name__ == "__main__":
    main()
