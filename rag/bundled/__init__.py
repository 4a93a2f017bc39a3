"""Files kabar ships beside its code: prompt templates, the bundled seed articles, the eval set.

In the repository they live at the top level (``prompts/``, ``seeds/``, ``eval/``); the
entries of this package are links to those folders, so a checkout, an editable install and a
wheel (where setuptools copies the linked files in as package data) all read them the same
way, through ``importlib.resources``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from rag.errors import KabarError

PROMPTS = "prompts"
SEEDS = "seeds"
EVAL = "eval"


def path(name: str) -> Path:
    """The bundled folder or file ``name`` (for example ``"seeds"`` or ``"eval/seed_set.jsonl"``).

    Raises:
        KabarError: kabar is installed in a form that keeps no files on disk (a zip), or the
            install lacks the file.
    """
    found = files(__name__).joinpath(*name.split("/"))
    if not isinstance(found, Path):
        raise KabarError(f"kabar's bundled {name} is not on disk: reinstall with pip install kabar")
    if not found.exists():
        raise KabarError(f"kabar's bundled {name} is missing from {found}: reinstall kabar")
    return found


def prompts() -> Path:
    """The bundled prompt templates."""
    return path(PROMPTS)


def seeds() -> Path:
    """The five bundled seed articles."""
    return path(SEEDS)


def eval_set() -> Path:
    """The curated seed eval set."""
    return path(f"{EVAL}/seed_set.jsonl")
