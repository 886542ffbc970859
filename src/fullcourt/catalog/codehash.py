"""Code hashes: the first-party modules a build reaches, and a hash of each one's code.

A module's hash is taken over its syntax tree with every docstring and bare string
statement removed; comments and layout never reach the tree. Rewording documentation
therefore rebuilds nothing, while any change to what the code does gives a new hash.

A build's modules are its own module and every first-party module that one imports,
transitively: `import a.b`, `from a.b import name` (the module `a.b`), `from a import b`
where `b` is a submodule (the module `a.b`), relative imports, and imports inside
function bodies, since a model loaded on first use changes results as much as one
imported at the top. Sources are read without running them.

First-party means `fullcourt` and the build module's own top-level package, so a
catalog loaded from elsewhere is versioned by its own helpers too. Not followed: the
machinery that decides what runs and when, never what a build returns — the engine
(executor, planner, ledger, runner, ...), the catalog's graph, selection and this
module, the pipeline's table list, and the CLI. A processor (or a test catalog that
assembles its specs beside its builds) importing them must not go stale whenever the
planner is edited. What a build is handed (`catalog.context`) and the gates it declares
(`catalog.gates`: a changed rule must judge the written partition again) live in the
catalog, so they are followed like the rest of it. Modules
that rarely change and that nearly everything imports, such as `fullcourt.errors` and
`fullcourt.catalog.spec`, are followed like any other; editing them rebuilds
everything, which is the safe side.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.util
import sys
from functools import lru_cache

__all__ = ["FIRST_PARTY", "MACHINERY", "modules_of", "source_of"]

FIRST_PARTY = "fullcourt"
# Machinery deciding what runs and when (packages or modules), and the exceptions to it.
MACHINERY = (
    "fullcourt.catalog.codehash",
    "fullcourt.catalog.graph",
    "fullcourt.catalog.selection",
    "fullcourt.pipeline",
    "fullcourt.cli",
    "fullcourt.engine",
)
_KEPT: frozenset[str] = frozenset()

# (level, module, names): `import a.b` is (0, "a.b", ()), `from ..x import y` (2, "x", ("y",))
_Import = tuple[int, str, tuple[str, ...]]


def _spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """Where `name` lives, found without importing it (nor, unlike `find_spec`, its parents)."""
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__spec__", None) is not None:
        return module.__spec__
    parent, _, _ = name.rpartition(".")
    try:
        if not parent:
            return importlib.machinery.PathFinder.find_spec(name)
        pspec = _spec(parent)
        if pspec is None or pspec.submodule_search_locations is None:
            return None
        return importlib.machinery.PathFinder.find_spec(name, list(pspec.submodule_search_locations))
    except (ImportError, ValueError):
        return None


def source_of(name: str) -> str | None:
    """The source text of module `name`, or None when it has none (namespace, built-in)."""
    spec = _spec(name)
    if spec is None:
        return None
    try:
        get_source = getattr(spec.loader, "get_source", None)
        if get_source is not None:
            return get_source(name)
        if spec.has_location and spec.origin and spec.origin.endswith(".py"):
            # e.g. pytest's assertion-rewriting loader, which does not serve sources
            with open(spec.origin, "rb") as f:
                return importlib.util.decode_source(f.read())
    except (ImportError, OSError, SyntaxError):
        pass
    return None


class _Docstrings(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None  # a docstring, or any other string statement: no effect at run time
        return node


@lru_cache(maxsize=1024)
def _analyse(source: str) -> tuple[str, tuple[_Import, ...]]:
    """The code hash of a source text and the imports it contains (cached by the text)."""
    tree = ast.parse(source)
    imports: list[_Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.extend((0, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports.append((node.level, node.module or "", tuple(a.name for a in node.names)))
    tree = _Docstrings().visit(tree)
    digest = hashlib.blake2b(ast.dump(tree, annotate_fields=False).encode(), digest_size=8)
    return digest.hexdigest(), tuple(imports)


def modules_of(name: str) -> dict[str, str]:
    """Module `name` and every first-party module it imports, transitively: {module: hash}.

    Sorted by module name. Modules without readable source are left out, so the result
    is empty when not even `name` can be read.
    """
    first_party = {FIRST_PARTY, name.partition(".")[0]}
    out: dict[str, str] = {}
    seen = {name}
    todo = [name]
    while todo:
        current = todo.pop()
        spec = _spec(current)
        source = source_of(current)
        if spec is None or source is None:
            continue
        out[current], imports = _analyse(source)
        package = current if spec.submodule_search_locations is not None else current.rpartition(".")[0]
        for dep in _targets(imports, package, first_party):
            if dep not in seen and _followed(dep, first_party):
                seen.add(dep)
                todo.append(dep)
    return dict(sorted(out.items()))


def _targets(imports: tuple[_Import, ...], package: str, first_party: set[str]) -> list[str]:
    """The first-party modules a module's imports take names from."""
    out: list[str] = []
    for level, module, names in imports:
        if level:
            try:
                module = importlib.util.resolve_name("." * level + module, package)
            except (ImportError, ValueError):
                continue
        if module.partition(".")[0] not in first_party:
            continue
        if not names:
            out.append(module)
            continue
        from_module = False
        for n in names:
            sub = f"{module}.{n}"
            if n != "*" and _spec(sub) is not None:
                out.append(sub)
            else:
                from_module = True
        if from_module:
            out.append(module)
    return out


def _followed(name: str, first_party: set[str]) -> bool:
    if name.partition(".")[0] not in first_party:
        return False
    if name in _KEPT:
        return True
    return not any(name == m or name.startswith(m + ".") for m in MACHINERY)
