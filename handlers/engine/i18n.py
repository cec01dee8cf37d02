"""Message catalogues: one per feature package (<package>/locales/id.toml Bahasa Indonesia first, en.toml English),
merged into one tree per language."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
CATALOGUE_FOLDER = "locales"


class CatalogError(ValueError):
    """Two catalogue files define the same key (the message names both files)."""


def catalogue_folders(*roots: Path) -> list[Path]:
    """Every folder named `locales` below `roots` (e.g. handlers/claims/locales), sorted: a feature's catalogue."""
    return sorted(folder for root in roots for folder in root.rglob(CATALOGUE_FOLDER) if folder.is_dir())


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _merge(paths: Iterable[Path]) -> dict[str, str]:
    """The dotted keys of all `paths` (TOML files); a key defined in two files raises CatalogError."""
    merged: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        with path.open("rb") as handle:
            for key, text in _flatten(tomllib.load(handle)).items():
                if key in origin:
                    raise CatalogError(f"message key {key!r} is defined twice: in {origin[key]} and in {path}")
                merged[key], origin[key] = text, path
    return merged


class Catalog:
    """All texts the bot says, by language and dotted key ("nik.length"), read from <folder>/<lang>.toml of every
    catalogue folder given (see catalogue_folders). Raises CatalogError when two files define the same key,
    FileNotFoundError when a folder lacks a language's file, tomllib.TOMLDecodeError on a malformed file."""

    def __init__(self, folders: Iterable[Path]) -> None:
        folders = list(folders)  # read once per language
        self.messages: dict[str, dict[str, str]] = {
            language: _merge(folder / f"{language}.toml" for folder in folders) for language in LANGUAGES}

    def keys(self, language: str) -> set[str]:
        return set(self.messages[language])

    def has(self, key: str) -> bool:
        return key in self.messages[DEFAULT_LANGUAGE]

    def text(self, language: str, key: str, **params: object) -> str:
        template = self.messages.get(language, {}).get(key) or self.messages[DEFAULT_LANGUAGE].get(key)
        if template is None:
            logger.error("missing message key %s", key)
            return key
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            logger.error("message %s/%s does not fit its parameters %s", language, key, sorted(params))
            return template


class Translator:
    """The catalogue bound to one person's language."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog = catalog
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **params: object) -> str:
        return self.catalog.text(self.language, key, **params)
