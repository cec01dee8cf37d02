"""The house keeps its shape (ARCHITECTURE.md): imports point one way (bot -> handlers -> db), the feature packages
of handlers/ stand on floors and import only downwards, no module imports itself back through others, no folder
holds more than 15 modules, no module is over 300 lines. Every import counts, also those inside functions or under
TYPE_CHECKING: a circle hidden there is a circle all the same."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

TOPS = ("bot", "handlers", "db")
TOP_ORDER = {"db": 0, "handlers": 1, "bot": 2}
# handlers/ floors, lowest first: a package imports its own floor's modules and those below, never above.
FLOORS = ("engine", "answers", "registration", "consent", "workers", "contributions", "claims", "officer", "registry")
MAX_MODULES, MAX_LINES = 15, 300


def modules() -> dict[str, Path]:
    found = {}
    for top in TOPS:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `path` imports (a `from package import module` counts as the module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {name for name in names if name in known} or ({node.module} & known.keys())
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def floor(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "handlers" or len(parts) < 2:
        return None
    return FLOORS.index(parts[1]) if parts[1] in FLOORS else None


def test_no_import_circle_anywhere() -> None:
    edges = graph()
    assert len(edges) > 100  # the walk found the house
    assert cycles(edges) == []


def test_imports_point_one_way_bot_handlers_db() -> None:
    upward = [(a, b) for a, targets in graph().items() for b in targets
              if TOP_ORDER[b.split(".")[0]] > TOP_ORDER[a.split(".")[0]]]
    assert upward == []


def test_feature_packages_import_only_downwards() -> None:
    upward = [(a, b) for a, targets in graph().items() for b in targets
              if floor(a) is not None and floor(b) is not None and floor(b) > floor(a)]
    assert upward == []


def test_every_handlers_package_stands_on_a_floor() -> None:
    packages = {path.name for path in (ROOT / "handlers").iterdir() if (path / "__init__.py").exists()}
    assert packages == set(FLOORS) - {"registry"}


def test_no_folder_holds_more_than_15_modules_and_no_module_is_over_300_lines() -> None:
    per_folder: dict[Path, int] = defaultdict(int)
    long = []
    for path in modules().values():
        per_folder[path.parent] += path.name != "__init__.py"
        if len(path.read_text().splitlines()) > MAX_LINES:
            long.append(str(path.relative_to(ROOT)))
    assert {str(folder.relative_to(ROOT)): n for folder, n in per_folder.items() if n > MAX_MODULES} == {}
    assert long == []


def test_the_check_sees_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
