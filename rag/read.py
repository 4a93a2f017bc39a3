"""Find article files and decode them to text, refusing what is not an article."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable
from pathlib import Path

from rag.errors import DocumentError

SUFFIXES = (".txt", ".md", ".html", ".htm")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], dict[str, str]]:
    """Article files under ``paths`` (files or folders), sorted, and an error per bad path.

    Folders are walked without following symbolic links, so a link loop cannot trap us.
    """
    found: dict[Path, None] = {}
    errors: dict[str, str] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root, name)
                    if candidate.suffix.lower() not in SUFFIXES or name.startswith("."):
                        continue
                    problem = _not_regular(candidate)
                    if problem:
                        errors[str(candidate)] = problem
                    else:
                        found[candidate] = None
        elif path.suffix.lower() not in SUFFIXES and (path.exists() or path.is_symlink()):
            errors[str(path)] = (
                f"unsupported file type {path.suffix or '(none)'!r}; "
                f"kabar reads {', '.join(SUFFIXES)}"
            )
        elif problem := _not_regular(path):
            errors[str(path)] = problem
        else:
            found[path] = None
    return list(found), errors


def _not_regular(path: Path) -> str:
    """Why ``path`` cannot be read as an article file, or empty when it can.

    A FIFO or device named ``.txt`` would block or never end, so only regular files pass.
    """
    if path.is_file():
        return ""
    if path.is_symlink():
        return "broken or looping symbolic link"
    if path.exists():
        return "not a regular file (a pipe, socket or device)"
    return "no such file or folder"


def check_size(name: str, size: int, max_bytes: int) -> None:
    """DocumentError when an article of ``size`` bytes is over the limit."""
    if size > max_bytes:
        raise DocumentError(
            f"{name} is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit "
            "(raise KABAR_MAX_FILE_BYTES to allow it)"
        )


def read_text(path: Path, max_bytes: int) -> str:
    """The decoded text of ``path``; raises DocumentError with the reason when it is unusable."""
    try:
        check_size(path.name, path.stat().st_size, max_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    return decode(data, path.name)


def decode(data: bytes, name: str) -> str:
    """Decode article bytes: BOM-marked UTF-8/16/32, plain UTF-8, else Windows-1252/Latin-1.

    Raises DocumentError for empty, whitespace-only and binary content.
    """
    if not data:
        raise DocumentError(f"{name} is empty")
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise DocumentError(
                    f"{name} starts with a {encoding} mark but does not decode"
                ) from None
            break
    if text is None:
        if _looks_binary(data):
            raise DocumentError(f"{name} looks like binary data, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    text = text.lstrip("\ufeff")
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise DocumentError(f"{name} looks like binary data, not text")
    if not text.strip():
        raise DocumentError(f"{name} holds only whitespace")
    return text


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    return b"\x00" in sample


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls / max(len(sample), 1)
