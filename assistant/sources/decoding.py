"""Bytes -> text: the encoding a byte-order mark names, else UTF-8, else the one the file
declares (`<meta charset>`, `<?xml encoding=?>`), else charset-normalizer's guess; what
reads as no text at all (NUL bytes, control characters, noise) is refused.

Why a detector and not "UTF-8 with replacement characters": a Latin-1 archive would store
"Gen\ufffdve" for every "Genève". Where the detector finds several single-byte encodings
equally plausible (a Latin-1 text often decodes the same under Windows-1250 and -1252 but
for one letter), Windows-1252 wins: it is what Western newsrooms' legacy files are in, and
what browsers read a page labelled Latin-1 as.

JSON Lines are decoded a line at a time (`text_lines`), so that a large archive streams;
the first line that is not UTF-8 fixes the encoding of the others that are not.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Iterator
from typing import IO

# The BOMs of UTF-32 first: UTF-32-LE's begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(rb"(?:charset|encoding)\s*=\s*[\"']?([A-Za-z0-9_.:-]+)")
# What browsers read these labels as (WHATWG Encoding): the C1 range is Windows-1252's.
_LABELS = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252"}
_PREFERRED = "cp1252"
# Characters that text does not hold: C0 controls but tab, line feed, form feed and
# carriage return, DEL, and the C1 controls (a single-byte encoding's misread bytes).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_HEAD = 4096


def bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark at the start of `data` names, if any."""
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def refuse_binary(data: bytes) -> None:
    """ValueError if the head of `data` has NUL bytes (and no UTF-16 or -32 byte-order mark)."""
    if b"\x00" in data[:_HEAD] and bom_codec(data) in (None, "utf-8-sig"):
        raise ValueError("binary file (contains NUL bytes), not text")


def decode(data: bytes) -> str:
    """The text in `data`; ValueError (saying why) if it is not text."""
    codec = bom_codec(data)
    if codec is not None:
        try:
            return _refuse_controls(data.decode(codec))
        except UnicodeDecodeError as exc:
            name = codec.removesuffix("-sig").upper()
            raise ValueError(
                f"starts with a {name} byte-order mark but is not {name} text ({exc.reason} "
                f"at byte {exc.start})"
            ) from None
    refuse_binary(data)
    try:
        return _refuse_controls(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    codec = _legacy_codec(data)
    try:
        return _refuse_controls(data.decode(codec))
    except UnicodeDecodeError as exc:  # the detector samples; a byte it did not see
        raise ValueError(f"not text: not UTF-8, and not {codec} at byte {exc.start}") from None


def _legacy_codec(data: bytes) -> str:
    """The codec of text that is not UTF-8: declared, else detected; ValueError if none."""
    declared = _declared(data)
    if declared is not None:
        return declared
    from charset_normalizer import from_bytes  # loads its tables: only for non-UTF-8 files

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise ValueError("not text: no character encoding reads it as text (binary data?)")
    tied = (
        m.encoding
        for m in matches
        if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01
    )
    return _PREFERRED if _PREFERRED in tied else best.encoding


def _declared(data: bytes) -> str | None:
    """The encoding the head of `data` names, if Python knows it and it reads the bytes."""
    match = _DECLARED.search(data[:2048])
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    codec = _LABELS.get(label, label)
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return None
    # The label was found as ASCII bytes, so the file cannot be UTF-16 or -32 as it says.
    if name.startswith(("utf-16", "utf-32")):
        return None
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return None
    return codec


def _refuse_controls(text: str) -> str:
    """`text`, unless its head has more than a few control characters, and more than one
    in a hundred: binary data that happened to decode (a text may hold a stray form feed
    or escape)."""
    head = text[: _HEAD * 4]
    controls = len(_CONTROL.findall(head))
    if controls > 8 and controls * 100 > len(head):
        raise ValueError("binary file (full of control characters), not text")
    return text


def text_lines(f: IO[bytes]) -> Iterator[str]:
    """The lines of the seekable binary file `f` as text, split on line feeds only.

    ValueError at once if the file is binary. A UTF-16 or -32 file (it has a byte-order
    mark) is decoded as one stream, since its line feeds are two or four bytes; any other
    a line at a time, as `decode` would decode the whole.
    """
    head = f.read(_HEAD)
    f.seek(0)
    codec = bom_codec(head)
    if codec in ("utf-16", "utf-32"):
        return iter(io.TextIOWrapper(f, encoding=codec, errors="replace", newline="\n"))
    refuse_binary(head)
    return _decoded(f)


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    """Each line as UTF-8 when it is (archives are often concatenated from several
    sources), else in the encoding found for the first line that was not."""
    codec: str | None = None
    for n, line in enumerate(lines):
        try:
            yield line.decode("utf-8-sig" if n == 0 else "utf-8")
            continue
        except UnicodeDecodeError:
            pass
        if codec is None:
            try:
                codec = _legacy_codec(line)
            except ValueError:  # noise on this line: json.loads will name it
                yield line.decode("utf-8", errors="replace")
                continue
        yield line.decode(codec, errors="replace")
