"""A small PNG, written with the standard library: a stand-in for a dash-cam frame."""

from __future__ import annotations

import random
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def dashcam_frame(rng: random.Random, width: int = 64, height: int = 48) -> bytes:
    """A road-like gradient with a vehicle-coloured box somewhere ahead."""
    box_x, box_y = rng.randint(8, width - 24), rng.randint(height // 2, height - 14)
    box_colour = (rng.randint(80, 255), rng.randint(0, 120), rng.randint(0, 120))
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            if box_x <= x < box_x + 16 and box_y <= y < box_y + 10:
                rows.extend(box_colour)
            elif y < height // 2:  # sky
                rows.extend((110 + y * 2, 150 + y, 230))
            else:  # road
                shade = 60 + (y - height // 2) * 2
                lane = 230 if abs(x - width // 2) < 1 and (y // 3) % 2 == 0 else shade
                rows.extend((lane, lane, lane))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
