"""The layers of iamctl hold at run time, not only in docstrings.

The layers themselves are import-linter's contract in pyproject.toml, checked by `lint-imports`
in .ci/run. These tests hold what the contract cannot: no import cycle anywhere (function-local
imports included, since they run too), every function-local import says why it is deferred, and
package `__init__` files run no code, so importing one module never loads its siblings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "iamctl"


def _runtime_graph() -> nx.DiGraph:
    graph = grimp.build_graph("iamctl", exclude_type_checking_imports=True)
    g = nx.DiGraph()
    for module in graph.modules:
        g.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)
    return g


def test_the_runtime_import_graph_has_no_cycle():
    cycles = [c for c in nx.simple_cycles(_runtime_graph()) if len(c) > 1]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join([*c, c[0]]) for c in cycles)


def test_the_cycle_check_sees_function_local_imports():
    """A cycle hidden behind a function-local import is still a cycle (the graph is not blind)."""
    graph = _runtime_graph()
    # decision imports explain only inside Result.explanation:
    assert graph.has_edge("iamctl.core.engine.decision", "iamctl.core.engine.explain")


def _local_imports(tree: ast.AST):
    """Imports inside functions, except those under `if TYPE_CHECKING:` (never run)."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, True)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            elif isinstance(child, ast.Import | ast.ImportFrom) and in_function:
                yield child
            else:
                yield from walk(child, in_function)
    yield from walk(tree, False)


def test_every_function_local_import_says_why_it_is_deferred():
    """A function-local import is there for start-up time (a heavy library, the policy engine, a
    module only one command needs) and says so with `# lazy: REASON`; one that hid a cycle
    would have none, and moves to the top of its module instead."""
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in _local_imports(ast.parse("\n".join(lines))):
            statement = lines[node.lineno - 1:node.end_lineno]
            if not any("# lazy: " in line for line in statement):
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {statement[0].strip()}")
    assert not unexplained, "function-local imports without '# lazy: REASON':\n" + "\n".join(unexplained)


def test_package_init_files_run_no_code():
    """Empty `__init__.py` files (a docstring, at most a constant such as __version__): importing iamctl.core.engine.catalog must
    not load the whole engine, nor iamctl.core.store.records the store."""
    for init in sorted(PACKAGE.rglob("__init__.py")):
        body = ast.parse(init.read_text(encoding="utf-8")).body
        code = [n for n in body if not (isinstance(n, ast.Expr | ast.Assign) and isinstance(n.value, ast.Constant))]
        assert not code, f"{init.relative_to(PACKAGE.parent)} runs code on import"
