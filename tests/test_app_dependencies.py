"""The apps depend one way: procurement <- projects <- payments <- {opendata, webhooks}; ppp (the frame) on none.

Read from the source with ``ast`` (imports inside functions count too), so a forbidden import fails here before
it can tie two apps together. ``api`` is the HTTP layer on top and may import every domain app.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("ppp", "procurement", "projects", "payments", "opendata", "webhooks", "api")

# What each package may not import.
FORBIDDEN = {
    # the URLconf mounts api views: the frame wires them
    "ppp": {"procurement", "projects", "payments", "opendata", "webhooks"},
    "procurement": {"projects", "payments", "opendata", "webhooks", "api"},
    "projects": {"payments", "opendata", "webhooks", "api"},
    "payments": {"opendata", "webhooks", "api"},
    # Open data reads every domain app and publishes; only the HTTP layer (api) and settings reach it.
    "opendata": {"webhooks", "api"},
    # Webhooks hear every domain app's events (ppp.events); only the HTTP layer (api) reaches it.
    "webhooks": {"opendata", "api"},
}


def _source_files(package: str):
    yield from sorted((ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, relative imports resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_app_imports_one_that_depends_on_it(package):
    offending = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _source_files(package)
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN[package]
    )
    assert offending == [], "\n".join(offending)


def test_first_party_modules_import_no_circle():
    modules = {_module_name(path): path for package in FIRST_PARTY for path in _source_files(package)}
    graph = {
        module: {name for name in _imports(path) if name in modules and name != module}
        for module, path in modules.items()
    }
    # A package's __init__ importing its own submodules is how packages work, not a circle.
    for module in graph:
        graph[module] = {name for name in graph[module] if not module.startswith(f"{name}.")}

    circles = []
    state = {}

    def visit(module, trail):
        state[module] = "open"
        for name in sorted(graph[module]):
            if state.get(name) == "open":
                circles.append(" -> ".join([*trail[trail.index(name) :], name]))
            elif name not in state:
                visit(name, [*trail, name])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == [], "\n".join(circles)


def test_the_check_sees_imports_inside_functions(tmp_path):
    source = ROOT / "procurement" / "_probe_for_test.py"
    try:
        source.write_text("def f():\n    from projects.models import Milestone\n    from . import models\n")
        assert {"projects.models", "projects.models.Milestone", "procurement", "procurement.models"} <= _imports(source)
    finally:
        source.unlink()
