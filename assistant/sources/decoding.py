"""Bytes -> text: UTF-8 when it is, else the declared or best-guess encoding; binary refused."""

from __future__ import annotations

import re


def refuse_binary(data: bytes) -> None:
    """ValueError if the head of `data` has NUL bytes (and no UTF-16 byte-order mark)."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("binary file (contains NUL bytes), not text")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it is; otherwise the best guess. Raises ValueError
    only for binary data."""
    refuse_binary(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # HTML's <meta charset>, an HTTP-style content type, or an XML declaration.
    declared = re.search(rb"(?:charset|encoding)=[\"']?([A-Za-z0-9_-]+)", data[:2048])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("utf-8", errors="replace")


def decode_line(line: bytes, first: bool) -> str:
    try:
        return line.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError:
        try:
            return decode(line)
        except ValueError:  # a NUL past the file's head: json.loads will name the line
            return line.decode("utf-8", errors="replace")
