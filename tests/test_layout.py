"""The rooms of the code and the way their imports run:

    flows -> crawler.crawl -> crawler.ingest -> storage

An import against that direction, a circle of imports anywhere in our
code, or SQL outside storage/ fails here with the module and the line.
Imports inside functions count too (one placed there only to dodge a circle
would hide the circle); imports under `if TYPE_CHECKING:` count for the
direction, not for circles, since they never run."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("storage", "crawler", "flows")

# Each room and the rooms it may import from (itself included).
MAY_IMPORT = {
    "storage": {"storage"},
    "ingest": {"ingest", "storage"},
    "crawl": {"crawl", "ingest", "storage"},
    "flows": {"flows", "crawl", "ingest", "storage", "sampleweb"},
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported
    line: int
    type_checking: bool  # under `if TYPE_CHECKING:`: never runs


ROOMS = (("crawler.ingest", "ingest"), ("crawler.crawl", "crawl"), ("storage", "storage"), ("flows", "flows"),
         ("tests.sampleweb", "sampleweb"))  # the demo's web: test material that the demo serves


def room(module: str) -> str | None:
    """The room of one of our modules; None for anything else (stdlib,
    libraries, the `crawler` package that holds two rooms)."""
    for prefix, name in ROOMS:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_checking)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno, type_checking) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path, node)
            for alias in node.names:
                # `from crawler.crawl import meta` imports the module crawler.crawl.meta
                full = f"{base}.{alias.name}"
                found.append(Import(module, full if full in known else base, node.lineno, type_checking))
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    visit(tree, False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def all_imports() -> list[Import]:
    modules = our_modules()
    known = set(modules)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, known)]


def test_every_import_runs_the_way_of_the_rooms():
    wrong = []
    for imp in all_imports():
        source, target = room(imp.module), room(imp.target)
        if source in MAY_IMPORT and target is not None and target not in MAY_IMPORT[source]:
            wrong.append(f"{imp.module} (line {imp.line}) imports {imp.target}: {source} -> {target}")
    assert wrong == [], "imports against flows -> crawl -> ingest -> storage:\n" + "\n".join(wrong)


def test_only_storage_speaks_sql():
    """Queries are Store methods: no module outside storage/ builds SQL or
    reads the tables (type hints aside)."""
    speaking = [f"{imp.module} (line {imp.line}) imports {imp.target}" for imp in all_imports()
                if room(imp.module) not in (None, "storage") and not imp.type_checking
                and (imp.target.split(".")[0] == "sqlalchemy" or imp.target == "storage.schema")]
    assert speaking == [], "SQL outside storage/:\n" + "\n".join(speaking)


def test_every_crawler_module_sits_in_one_of_its_two_rooms():
    loose = [m for m in our_modules() if m.startswith("crawler") and m != "crawler" and room(m) is None]
    assert loose == [], f"modules in crawler/ outside crawler/ingest and crawler/crawl: {loose}"


def test_no_module_of_ours_imports_itself_back_through_others():
    modules = set(our_modules())
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in all_imports():
        if not imp.type_checking and imp.target in modules and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    circles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert circles == [], "import circles:\n" + "\n".join(circles)


def test_the_rule_catches_an_import_against_the_direction(tmp_path):
    """The checker itself: an ingest module importing the crawl room is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from crawler.crawl.run import crawl_source\n", encoding="utf-8")
    [imp] = imports_of("crawler.ingest.bad", bad, set(our_modules()))
    assert (room(imp.module), room(imp.target), imp.line) == ("ingest", "crawl", 2)
    assert room(imp.target) not in MAY_IMPORT["ingest"]
