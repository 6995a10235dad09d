"""The shape the architecture promises (docs/ARCHITECTURE.md): small modules and short functions, in the package,
the app and the bench scripts alike. A module over 400 lines or a function over 60 is a sign that a concern
should be split, so the suite says where."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO_ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
CHECKED = ("assistant", "app_pages", "bench", "training")


def _sources() -> list[Path]:
    files = [REPO_ROOT / "app.py"]
    for folder in CHECKED:
        files += sorted((REPO_ROOT / folder).rglob("*.py"))
    return [f for f in files if f.is_file()]


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_module_is_over_400_lines() -> None:
    long = {str(f.relative_to(REPO_ROOT)): n for f in _sources()
            if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for f in _sources():
        for fn in _functions(ast.parse(f.read_text(encoding="utf-8"))):
            start = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
            if (n := fn.end_lineno - start + 1) > MAX_FUNCTION_LINES:
                long[f"{f.relative_to(REPO_ROOT)}:{fn.lineno} {fn.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
