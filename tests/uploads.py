"""Crafted upload bytes: image headers that claim more than they hold."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG of some 60 bytes whose header says `width` × `height` (8-bit RGB):
    the signature, IHDR with a valid CRC, a tiny IDAT and IEND. Decoding it would take
    width × height × 3 bytes of memory before finding the pixels missing."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00"))
        + _chunk(b"IEND", b"")
    )
