"""Find article files and decode them to text, refusing what is not an article."""

from __future__ import annotations

import codecs
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import DocumentError

MAX_CONTROL_SHARE = 0.05
"""Text with more control characters than this (tabs and line breaks aside) is binary data: a
real article has none, and a decoded image or archive has several percent."""
Problem = tuple[str, bool]
"""Why a file is not read, and whether it is merely skipped (a type kabar does not read)."""
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def discover(path: Path, suffixes: tuple[str, ...]) -> tuple[list[Path], dict[str, Problem]]:
    """The readable files at ``path`` (a file or a folder, walked in sorted order) and a
    problem per file that cannot be read or is skipped for its type.

    Folders are walked without following symbolic links, so a link loop cannot trap us.
    """
    files: list[Path] = []
    problems: dict[str, Problem] = {}
    kinds = ", ".join(suffixes)
    if not path.is_dir():
        if path.suffix.lower() not in suffixes and (path.exists() or path.is_symlink()):
            problems[str(path)] = (
                f"unsupported file type {path.suffix or '(none)'!r}; kabar reads {kinds}",
                False,
            )
        elif problem := _not_regular(path):
            problems[str(path)] = (problem, False)
        else:
            files.append(path)
        return files, problems
    for root, dirs, names in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            candidate = Path(root, name)
            if candidate.suffix.lower() not in suffixes:
                kind = candidate.suffix or "suffix-less"
                problems[str(candidate)] = (f"kabar does not read {kind} files ({kinds})", True)
            elif problem := _not_regular(candidate):
                problems[str(candidate)] = (problem, False)
            else:
                files.append(candidate)
    return files, problems


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: the base name, unsafe characters replaced."""
    base = re.split(r"[\\/]", name)[-1].strip()
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    if not base:
        raise DocumentError(f"{name!r} is not a usable file name")
    return base[:200]


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
    if "\x00" in text or _control_ratio(text) > MAX_CONTROL_SHARE:
        raise DocumentError(f"{name} looks like binary data, not text")
    if not text.strip():
        raise DocumentError(f"{name} holds only whitespace")
    return text


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    return b"\x00" in sample


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    return controls / max(len(sample), 1)


_TAG = re.compile(r"<(p|br|div|span|a|em|strong|b|i|h[1-6]|ul|ol|li|blockquote|figure|img)\b[^>]*>")
_BLOCKS = frozenset("p br div h1 h2 h3 h4 h5 h6 li blockquote figure ul ol tr".split())


def markup_text(text: str) -> str:
    """Plain text of an HTML fragment (a feed's summary, a CMS body): one line per block.

    Text without tags is returned as it is.
    """
    if not _TAG.search(text):
        return text
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n\n".join(line for line in lines if line)


class _TextParser(HTMLParser):
    """Collects text, starting a new line at every block element; skips scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
