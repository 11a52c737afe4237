"""Draw the app icon (servers → arrow) as PNG, .ico and .icns, matching migration-discovery.svg.

Run after changing the design (needs numpy, no Pillow):  python packaging/assets/make_icons.py
Writes next to this file: migration-discovery.png (256 px, Linux), .ico (Windows), .icns (macOS).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NAME = "migration-discovery"
TOP, BOTTOM = np.array([37, 99, 235]), np.array([30, 64, 175])  # #2563eb -> #1e40af
WHITE = np.array([255, 255, 255])


def _rounded_rect(x, y, x0, y0, x1, y1, r):
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    qx, qy = np.abs(x - cx) - hx, np.abs(y - cy) - hy
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - r <= 0


def _triangle(x, y, pts):
    (ax, ay), (bx, by), (cx, cy) = pts

    def side(px, py, qx, qy):
        return (x - qx) * (py - qy) - (px - qx) * (y - qy)

    d1, d2, d3 = side(ax, ay, bx, by), side(bx, by, cx, cy), side(cx, cy, ax, ay)
    return ~(((d1 < 0) | (d2 < 0) | (d3 < 0)) & ((d1 > 0) | (d2 > 0) | (d3 > 0)))


def render(size: int) -> np.ndarray:
    """RGBA uint8 image, drawn on the SVG's 1024 grid with supersampling."""
    ss = 4 if size <= 256 else 2
    n = size * ss
    coords = (np.arange(n) + 0.5) * (1024 / n)
    x, y = np.meshgrid(coords, coords)
    bg = _rounded_rect(x, y, 64, 64, 960, 960, 192)
    white = np.zeros_like(bg)
    dots = np.zeros_like(bg)
    for top in (300, 452, 604):
        white |= _rounded_rect(x, y, 184, top, 540, top + 120, 28)
        dots |= np.hypot(x - 244, y - (top + 60)) <= 20
    white |= _rounded_rect(x, y, 590, 482, 760, 542, 8)
    white |= _triangle(x, y, ((730, 392), (860, 512), (730, 632)))
    white &= ~dots
    t = (y - 64) / 896
    rgb = TOP[None, None, :] * (1 - t[..., None]) + BOTTOM[None, None, :] * t[..., None]
    rgb = np.where(white[..., None], WHITE, rgb)
    rgba = np.concatenate([rgb * bg[..., None], bg[..., None] * 255.0], axis=-1)
    rgba = rgba.reshape(size, ss, size, ss, 4).mean(axis=(1, 3))
    alpha = rgba[..., 3:4]
    rgb = np.where(alpha > 0, rgba[..., :3] * 255.0 / np.maximum(alpha, 1e-6), 0)  # un-premultiply
    return np.concatenate([rgb, alpha], axis=-1).round().clip(0, 255).astype(np.uint8)


def png_bytes(img: np.ndarray) -> bytes:
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[row].tobytes() for row in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """ICO with PNG-compressed entries (Windows Vista and later)."""
    sizes = sorted(pngs)
    out = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    body = b""
    for s in sizes:
        data = pngs[s]
        out += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return out + body


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """ICNS with PNG entries (macOS 10.7 and later)."""
    kinds = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}
    body = b"".join(
        kinds[s] + struct.pack(">I", len(pngs[s]) + 8) + pngs[s] for s in sorted(pngs) if s in kinds
    )
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main() -> None:
    pngs = {s: png_bytes(render(s)) for s in (16, 24, 32, 48, 64, 128, 256, 512, 1024)}
    (HERE / f"{NAME}.png").write_bytes(pngs[256])
    (HERE / f"{NAME}.ico").write_bytes(ico_bytes({s: pngs[s] for s in (16, 24, 32, 48, 64, 128, 256)}))
    (HERE / f"{NAME}.icns").write_bytes(icns_bytes({s: pngs[s] for s in (16, 32, 64, 128, 256, 512, 1024)}))
    for suffix in ("png", "ico", "icns"):
        path = HERE / f"{NAME}.{suffix}"
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
