"""The layers and the module graph, read from the source: nlp <- index <- api, and no import cycle.

Imports inside functions count too: a lazy import that closes a circle is still two modules that
each need the other, which is what a newcomer trips over.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("nlp", "index", "api")


def modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (`from pkg import sub` names the submodule)."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known]
                targets = subs + ([node.module] if len(subs) < len(node.names) else [])
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in known and t != name}
    return graph


def test_a_lower_layer_never_imports_a_higher_one():
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    wrong = [
        f"{a} -> {b}"
        for a, targets in import_graph().items()
        for b in targets
        if rank[b.split(".")[0]] > rank[a.split(".")[0]]
    ]
    assert not wrong, wrong


def test_no_import_cycles():
    try:
        order = list(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
    assert len(order) == len(modules())


def test_the_graph_reader_sees_lazy_imports():
    """The check above could pass by reading nothing: it must see an import inside a function."""
    graph = import_graph()
    assert "nlp.onnx_export" not in graph["nlp.encoder"]  # runtime and build apart
    assert "nlp.e5" in graph["nlp.onnx_export"]
    assert "index.pgsql" in graph["index.lexical"]  # imported inside a function there
    assert "nlp.readers.builtin" in graph["nlp.readers"]  # the registry's lazy import of the built-ins
