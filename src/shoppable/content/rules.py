"""Pure content rules: what an upload is (sniffed from its bytes, never from its name) and whether it is whole,
where anchors and tiles may sit in a video, and the feed's ranking formula. No I/O beyond the file given."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

# --- uploads ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaType:
    kind: str  # video, image
    content_type: str


def sniff(head: bytes) -> MediaType | None:
    """The media type of a file from its first bytes (at least 16), or None for anything we do not take."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType("image", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType("image", "image/png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return MediaType("image", "image/gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaType("image", "image/webp")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return MediaType("video", "video/quicktime" if brand == b"qt  " else "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaType("video", "video/webm")
    return None


def is_whole(handle: BinaryIO, size: int, content_type: str) -> bool:
    """Whether the file ends where its own structure says it does (a cut-off upload does not)."""
    if content_type in ("video/mp4", "video/quicktime"):
        return _boxes_fill(handle, size)
    if content_type == "video/webm":
        return _ebml_whole(handle, size)
    if content_type == "image/webp":
        handle.seek(4)
        return int.from_bytes(handle.read(4), "little") + 8 == size
    handle.seek(max(0, size - 64))
    tail = handle.read().rstrip(b"\x00\r\n ")
    if content_type == "image/jpeg":
        return tail.endswith(b"\xff\xd9")
    if content_type == "image/png":
        return tail.endswith(b"IEND\xaeB`\x82")
    if content_type == "image/gif":
        return tail.endswith(b";")
    return False


def _boxes_fill(handle: BinaryIO, size: int) -> bool:
    """ISO base media (MP4, QuickTime): top-level boxes tile the file exactly, and a ``moov`` is among them."""
    offset, names = 0, set()
    while offset < size:
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            return False
        length, name = int.from_bytes(header[:4], "big"), header[4:8]
        if length == 1:
            if len(header) < 16:
                return False
            length = int.from_bytes(header[8:16], "big")
        elif length == 0:  # the box runs to the end of the file
            length = size - offset
        if length < 8 or offset + length > size:
            return False
        names.add(name)
        offset += length
    return offset == size and b"ftyp" in names and b"moov" in names


def _vint(data: bytes) -> tuple[int, int] | None:
    """An EBML variable-length integer: (value, its length in bytes); all ones means "unknown" (-1)."""
    if not data or data[0] == 0:
        return None
    length = 8 - data[0].bit_length() + 1
    if len(data) < length:
        return None
    value = data[0] & (0xFF >> length)
    for byte in data[1:length]:
        value = (value << 8) | byte
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


def _ebml_whole(handle: BinaryIO, size: int) -> bool:
    """WebM: the EBML header and then a Segment whose declared size reaches exactly the end of the file (a live
    recording may leave the size unknown: then the Segment must at least have started)."""
    handle.seek(4)
    header = _vint(handle.read(8))
    if header is None:
        return False
    segment_at = 4 + header[1] + header[0]
    handle.seek(segment_at)
    if handle.read(4) != b"\x18\x53\x80\x67":
        return False
    declared = _vint(handle.read(8))
    if declared is None:
        return False
    value, length = declared
    return value == -1 or segment_at + 4 + length + value == size


# --- anchors and tiles -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    start_s: int
    end_s: int


def check_span(start_s: int, end_s: int | None, duration_s: int) -> Span | str:
    """A moment of the video (the end defaults to the video's end), or why it is not one."""
    end = duration_s if end_s is None else end_s
    if not 0 <= start_s < duration_s:
        return f"start_s must be within the video (0 to {duration_s - 1} s)"
    if not start_s < end <= duration_s:
        return f"end_s must be after start_s and at most the video's {duration_s} s"
    return Span(start_s, end)


# --- the feed ----------------------------------------------------------------------------------------------------

# Ten times the engagement is worth this much freshness (Reddit's "hot" constant: 12.5 hours).
ENGAGEMENT_DECADE_S = 45_000
LIKE_WEIGHT = 5  # a like says more than a view


def feed_rank(created_at: datetime, *, views: int, likes: int) -> float:
    """The feed's order, highest first: ``created_at`` in seconds / 45,000 + log10(1 + views + 5 × likes).

    Newer videos rank higher (each 12.5 hours of age costs one order of magnitude of engagement) and engagement
    lifts a video against the clock. It does not depend on the time of the query, so a page's order holds
    between requests; it changes only when the video's own views or likes do."""
    return created_at.timestamp() / ENGAGEMENT_DECADE_S + math.log10(1 + views + LIKE_WEIGHT * likes)


def field_error(loc: list[Any], message: str) -> dict[str, Any]:
    return {"loc": loc, "msg": message}
