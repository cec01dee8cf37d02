"""Message catalogues: one TOML tree per language (Bahasa Indonesia first, English second)."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


class Catalog:
    """All texts the bot says, by language and dotted key ("nik.length"), read from <root>/<lang>/*.toml."""

    def __init__(self, root: Path) -> None:
        self.messages: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            merged: dict[str, str] = {}
            for path in sorted((root / language).glob("*.toml")):
                with path.open("rb") as handle:
                    merged.update(_flatten(tomllib.load(handle)))
            self.messages[language] = merged

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
