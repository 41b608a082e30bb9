"""What import-linter's contracts (pyproject.toml: the apps' directions, no cycles) do not say of the
image sets, the opponent and the job machinery, read from the code's own imports (those inside
functions too): no module imports another's private names, nothing that sends a task imports the
module that runs it, and each module is small enough to read in one go."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import REPO

PACKAGES = ["geoguess.imagesets", "geoguess.opponent", "geoguess.jobs"]
MAX_LINES = 300


def modules(package: str) -> Iterator[tuple[str, Path]]:
    root = REPO / package.replace(".", "/")
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


ALL = {name: path for package in [*PACKAGES, "geoguess.celery"] for name, path in modules(package)} | {
    "geoguess.celery": REPO / "geoguess" / "celery.py"
}


def imports(name: str, path: Path) -> Iterator[tuple[str, str]]:
    """``(module, imported name)`` for every import in the file, wherever it is (``""`` for a plain ``import``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                yield base, alias.name


def test_no_module_imports_another_ones_private_names():
    found = [
        (name, f"{module}.{imported}")
        for name, path in ALL.items()
        for module, imported in imports(name, path)
        if module.startswith("geoguess") and imported.startswith("_") and not imported.startswith("__")
    ]
    assert found == []


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in ALL}
    for name, path in ALL.items():
        for module, imported in imports(name, path):
            target = f"{module}.{imported}" if f"{module}.{imported}" in ALL else module
            if target in ALL and target != name:
                graph[name].add(target)
    return graph


def test_the_senders_of_tasks_never_import_the_modules_that_run_them():
    importers = sorted(name for name, targets in edges().items() for target in targets if target.endswith(".tasks"))
    assert importers == []


@pytest.mark.parametrize("package", ["geoguess.imagesets", "geoguess.opponent", "geoguess.jobs"])
def test_every_module_is_small(package):
    long = {name: n for name, path in modules(package) if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
