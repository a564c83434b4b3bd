"""The SDK is its own distribution: it must never import the bankstack server package."""

from __future__ import annotations

import ast
from pathlib import Path

import bankstack_sdk

PACKAGE_DIR = Path(bankstack_sdk.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_module_imports_the_server_package():
    for path in PACKAGE_DIR.glob("*.py"):
        roots = {name.split(".")[0] for name in _imported_modules(path)}
        assert "bankstack" not in roots, path.name


def test_server_side_modules_do_not_need_httpx():
    for name in ("signing", "webhooks", "digest", "jwks", "errors", "fields", "_rfc9421"):
        roots = {module.split(".")[0] for module in _imported_modules(PACKAGE_DIR / f"{name}.py")}
        assert "httpx" not in roots, name


def test_public_names_are_exported_and_sorted():
    assert bankstack_sdk.__all__ == sorted(bankstack_sdk.__all__)
    for name in bankstack_sdk.__all__:
        assert hasattr(bankstack_sdk, name), name
