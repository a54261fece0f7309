#!/usr/bin/env python3
"""Draws the add-on's store images: icon.png (128x128) and logo.png (250x100).

    python3 addon/tools/make_images.py [OUT_DIR]     (default addon/meross-bridge)

Standard library only (zlib + struct write the PNG). Shapes are drawn at 4x and averaged down for
smooth edges. The picture: a wall plug (two prongs) on a rounded tile, with a bridge arch under it;
the logo adds the words MEROSS BRIDGE in a small block font.
"""
import os
import struct
import sys
import zlib

SS = 4  # supersampling factor
TILE_TOP = (0x1E, 0x88, 0xE5)
TILE_BOTTOM = (0x0D, 0x47, 0xA1)
WHITE = (0xFF, 0xFF, 0xFF)
TEXT = (0x0D, 0x47, 0xA1)


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w * SS, h * SS
        self.px = [[(0, 0, 0, 0)] * self.w for _ in range(self.h)]

    def fill(self, inside, color):
        """inside(x, y) in output pixel units (floats); color may be a function of y."""
        for j in range(self.h):
            y = (j + 0.5) / SS
            row = self.px[j]
            for i in range(self.w):
                x = (i + 0.5) / SS
                if inside(x, y):
                    c = color(x, y) if callable(color) else color
                    row[i] = (*c, 255)

    def png(self):
        w, h = self.w // SS, self.h // SS
        raw = bytearray()
        for y in range(h):
            raw.append(0)
            for x in range(w):
                acc = [0, 0, 0, 0]
                for j in range(SS):
                    for i in range(SS):
                        r, g, b, a = self.px[y * SS + j][x * SS + i]
                        acc[0] += r * a
                        acc[1] += g * a
                        acc[2] += b * a
                        acc[3] += a
                if acc[3]:
                    raw += bytes((acc[0] // acc[3], acc[1] // acc[3], acc[2] // acc[3],
                                  acc[3] // (SS * SS)))
                else:
                    raw += b"\0\0\0\0"

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        return (b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
                + chunk(b"IEND", b""))


def rounded_rect(x0, y0, x1, y1, r):
    def inside(x, y):
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

    return inside


def draw_mark(c, ox, oy, size):
    """The plug-and-bridge mark in a size x size square at (ox, oy)."""
    s = size / 128.0

    def gradient(x, y):
        t = min(max((y - oy) / size, 0.0), 1.0)
        return tuple(int(a + (b - a) * t) for a, b in zip(TILE_TOP, TILE_BOTTOM))

    c.fill(rounded_rect(ox + 4 * s, oy + 4 * s, ox + 124 * s, oy + 124 * s, 26 * s), gradient)
    # plug body: a rounded rectangle with a cable stub below it
    c.fill(rounded_rect(ox + 38 * s, oy + 40 * s, ox + 90 * s, oy + 76 * s, 12 * s), WHITE)
    c.fill(rounded_rect(ox + 58 * s, oy + 74 * s, ox + 70 * s, oy + 88 * s, 3 * s), WHITE)
    # prongs
    c.fill(rounded_rect(ox + 48 * s, oy + 22 * s, ox + 56 * s, oy + 42 * s, 3 * s), WHITE)
    c.fill(rounded_rect(ox + 72 * s, oy + 22 * s, ox + 80 * s, oy + 42 * s, 3 * s), WHITE)
    # bridge: an arch (ring segment) with a deck
    cx, cy, r_out, r_in = ox + 64 * s, oy + 122 * s, 44 * s, 36 * s

    def arch(x, y):
        d = (x - cx) ** 2 + (y - cy) ** 2
        return r_in ** 2 <= d <= r_out ** 2 and y <= oy + 108 * s and y >= oy + 86 * s

    c.fill(arch, WHITE)
    c.fill(rounded_rect(ox + 18 * s, oy + 94 * s, ox + 110 * s, oy + 100 * s, 2 * s), WHITE)


FONT = {  # 5x7 block capitals
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "B": ["11110", "10001", "10001", "11110", "10001", "10001", "11110"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "D": ["11110", "10001", "10001", "10001", "10001", "10001", "11110"],
    "G": ["01111", "10000", "10000", "10011", "10001", "10001", "01111"],
    " ": ["00000"] * 7,
}


def draw_text(c, text, x, y, cell, color):
    for ch in text:
        rows = FONT[ch]
        for j, row in enumerate(rows):
            for i, bit in enumerate(row):
                if bit == "1":
                    x0, y0 = x + i * cell, y + j * cell
                    c.fill(lambda px, py, x0=x0, y0=y0: x0 <= px < x0 + cell and y0 <= py < y0 + cell,
                           color)
        x += 6 * cell


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "meross-bridge")
    icon = Canvas(128, 128)
    draw_mark(icon, 0, 0, 128)
    with open(os.path.join(out, "icon.png"), "wb") as f:
        f.write(icon.png())

    logo = Canvas(250, 100)
    draw_mark(logo, 4, 8, 84)
    draw_text(logo, "MEROSS", 100, 22, 4, TEXT)
    draw_text(logo, "BRIDGE", 100, 58, 4, TEXT)
    with open(os.path.join(out, "logo.png"), "wb") as f:
        f.write(logo.png())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
