"""Import direction (DESIGN.md, Layout): the shell knows no domain but in its composition root,
the LRS knows none of the domains that build on it, and the others use the LRS through its
public names (lrs/__init__.py).

Every import counts, at the top of a module or inside a function, read from the source (ast).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = frozenset({"lrs", "competencies", "courses", "credentials", "api"})

#: Package -> the top-level packages it must not import.
FORBIDDEN = {
    "academy": DOMAINS,
    "lrs": DOMAINS - {"lrs"},
}

#: The production packages besides lrs, and the LRS's internals they must reach through ``lrs``.
PRODUCTION = ("academy", "competencies", "courses", "credentials", "api")
LRS_INTERNALS = frozenset({"lrs.models", "lrs.validation"})

#: The composition root: create_app() and its helpers list each domain's parts, so they import them all.
COMPOSITION_ROOT = "academy/__init__.py"

#: Today's violations, each (file, imported module), kept until the code moves; a new one fails the
#: test, and so does an entry that is no longer needed (then delete it here).
ALLOWED = {
    # demo builds one government across every domain (its people, then learning and courses):
    # a composition like create_app's, run once.
    **dict.fromkeys(
        (("academy/cli.py", "competencies.demo"), ("academy/cli.py", "courses.demo")),
        "demo builds every domain's data",
    ),
}


def imported_modules(source: str) -> Iterator[str]:
    """Every absolute module a source imports, wherever the import statement is."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def violations(package: str, forbidden: frozenset[str]) -> set[tuple[str, str]]:
    found = set()
    for path in sorted((ROOT / package).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name == COMPOSITION_ROOT:
            continue
        for module in imported_modules(path.read_text(encoding="utf-8")):
            if module.split(".")[0] in forbidden:
                found.add((name, module))
    return found


def test_the_checker_sees_imports_inside_functions() -> None:
    source = "import os\nfrom academy.db import db\n\ndef f() -> None:\n    from courses.models import Course\n"
    assert [m for m in imported_modules(source) if m.split(".")[0] in DOMAINS] == ["courses.models"]


def test_no_new_import_against_the_direction() -> None:
    found = set().union(*(violations(package, forbidden) for package, forbidden in FORBIDDEN.items()))
    assert sorted(found - ALLOWED.keys()) == [], "a module imports a package it must not (DESIGN.md, Layout)"
    assert sorted(ALLOWED.keys() - found) == [], "no longer imported: delete these from ALLOWED"


def test_the_lrs_is_used_through_its_public_names() -> None:
    found = {
        (path.relative_to(ROOT).as_posix(), module)
        for package in PRODUCTION
        for path in sorted((ROOT / package).rglob("*.py"))
        for module in imported_modules(path.read_text(encoding="utf-8"))
        if any(module == internal or module.startswith(f"{internal}.") for internal in LRS_INTERNALS)
    }
    assert sorted(found) == [], "import these from lrs (lrs/__init__.py), not from its internals"
