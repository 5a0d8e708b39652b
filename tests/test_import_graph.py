"""The arrows between the packages run one way: isa <- bench -> llm. llm/ never imports bench/ (the language-model
layer knows no task: what it trains and scores on is handed in), and isa/ imports neither.

`import_graph` reads every module's imports with ast (function-level and relative ones too, which a run-time check
would miss until that function runs) and is meant for other checks of the graph as well (import circles).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("isa", "bench", "llm")
FORBIDDEN = {"llm": ("bench",), "isa": ("bench", "llm")}  # package -> packages it must never import


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every first-party module name -> its file."""
    return {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def imported_names(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """(dotted name, line) of every import in the tree, at any depth, relative ones made absolute. `from X import a`
    names X.a: the caller keeps it if it is a module, else X (a name defined in X)."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return out


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, dict[str, int]]:
    """module -> {first-party module it imports: the line of the first such import}."""
    known = modules(root, packages)
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = graph.setdefault(name, {})
        for target, line in imported_names(tree, name, path.name == "__init__.py"):
            # `import a.b.c` and `from a.b import c` reach the deepest module named, or its nearest known parent.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.setdefault(target, line)
    return graph


def violations(graph: dict[str, dict[str, int]], root: Path = ROOT) -> list[str]:
    """'file:line: module imports module' for every arrow FORBIDDEN names."""
    known = modules(root)
    out = []
    for source, edges in graph.items():
        for target, line in edges.items():
            if target.split(".")[0] in FORBIDDEN.get(source.split(".")[0], ()):
                out.append(f"{known[source].relative_to(root)}:{line}: {source} imports {target}")
    return out


def test_llm_imports_nothing_from_bench_and_isa_neither_bench_nor_llm():
    graph = import_graph()
    assert not violations(graph), "\n".join(violations(graph))
    # The graph sees the real arrows, so the check above can fail: bench reaches both sides.
    assert any(t.startswith("llm.") for t in graph["bench.cmd_finetune"]) and "isa.cli" in graph and \
        any(t.startswith("isa") for t in graph["bench.tasks.base"])


def test_the_graph_finds_function_level_and_relative_imports(tmp_path):
    (tmp_path / "isa").mkdir()
    (tmp_path / "isa" / "__init__.py").write_text("")
    (tmp_path / "isa" / "core.py").write_text("X = 1\n")
    (tmp_path / "isa" / "sub").mkdir()
    (tmp_path / "isa" / "sub" / "__init__.py").write_text("from .. import core\n")
    (tmp_path / "isa" / "sub" / "deep.py").write_text("from ..core import X\n\n\ndef f():\n    import llm.model\n")
    (tmp_path / "llm").mkdir()
    (tmp_path / "llm" / "__init__.py").write_text("")
    (tmp_path / "llm" / "model.py").write_text("def g():\n    from bench import cli  # late\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "cli.py").write_text("")
    graph = import_graph(tmp_path)
    assert graph["isa.sub"] == {"isa.core": 1}
    assert graph["isa.sub.deep"] == {"isa.core": 1, "llm.model": 5}
    assert graph["llm.model"] == {"bench.cli": 2}
    assert sorted(violations(graph, tmp_path)) == ["isa/sub/deep.py:5: isa.sub.deep imports llm.model",
                                                   "llm/model.py:2: llm.model imports bench.cli"]


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every import circle: the strongly connected components of more than one module, or a module that imports
    itself (Tarjan's algorithm, iterative, so a long chain cannot hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack, on_stack, out = [], set(), []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.get(target, ()))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph.get(node, ()):
                        out.append(sorted(component))
    return out


def test_no_import_circle_between_files():
    """A circle means two files that cannot be read (or changed) apart; lazy imports only hide it."""
    found = circles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_circle_check_finds_a_circle():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 3}, "d": {"a": 1}, "e": {"e": 2}}
    assert sorted(circles(graph)) == [["a", "b", "c"], ["e"]]
