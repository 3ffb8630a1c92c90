"""Import discipline: the layers of ``docs/architecture.md`` hold in the code.

The import graph of ``sesslog`` (every ``import`` statement, at module level or inside a
function, except those under ``if TYPE_CHECKING:``) has no cycle, and every import points down
the layers (or stays in its own). ``import sesslog`` loads neither the write path nor the
sidecar code nor the command line, nor ``zstandard``, ``sqlite3`` or ``watchfiles``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sesslog"

#: The layers, lowest first: a module may import from its own layer and the ones before it.
#: The same table is drawn in docs/architecture.md.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "errors",
        (
            "sesslog.errors",
            "sesslog._version",
            "sesslog._closing",
            "sesslog._leaf",
            "sesslog._lazy",
            "sesslog._patterns",
            "sesslog.render.escape",  # imports only _patterns; the exporters use it too
        ),
    ),
    ("format", ("sesslog.format",)),
    ("tree", ("sesslog.tree",)),
    ("backends", ("sesslog.backends",)),
    ("write", ("sesslog.write",)),
    ("projections", ("sesslog.projections", "sesslog.v2", "sesslog.catalog")),
    (
        "session",
        (
            "sesslog.session",
            "sesslog.session_view",
            "sesslog.opening",
            "sesslog.typed_appends",
            "sesslog",
        ),
    ),
    ("store", ("sesslog.store",)),
    ("interop", ("sesslog.interop", "sesslog.analytics")),
    ("fleet", ("sesslog.fleet",)),
    ("edges", ("sesslog.render", "sesslog.cli", "sesslog.__main__")),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer index of a module: the longest prefix in :data:`LAYERS` that names it."""
    best = (-1, -1)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), index)
    if best[1] < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and the architecture")
    return best[1]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str | None:
    """The sesslog module an import names (a name imported from a package may be a module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The sesslog modules ``module`` imports at run time."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            stack.extend(ast.iter_child_nodes(node))
            continue
        for name in names:
            target = _resolve(name) if name.startswith("sesslog") else None
            if target is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a higher layer, as a sentence."""
    return [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]


def test_imports_point_down_the_layers() -> None:
    upward = upward_imports(GRAPH)
    assert not upward, "\n".join(upward)


def test_nothing_imports_the_command_line() -> None:
    users = [
        m
        for m, targets in GRAPH.items()
        if not m.startswith("sesslog.cli") and m != "sesslog.__main__"
        if any(t == "sesslog.cli" or t.startswith("sesslog.cli.") for t in targets)
    ]
    assert not users


def cycles_of(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of an import graph: Tarjan's strongly connected components of more than one
    module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_the_import_graph_has_no_cycle() -> None:
    cycles = cycles_of(GRAPH)
    assert not cycles, cycles


def test_the_checks_catch_what_they_look_for() -> None:
    """The two cycles this layout removed, and an upward import, would be reported."""
    assert GRAPH["sesslog.session"] >= {"sesslog.projections.registry", "sesslog.write.appender"}
    old = {
        "sesslog.session": {"sesslog.v2.opening"},
        "sesslog.v2.opening": {"sesslog.session"},
        "sesslog.v2.layout": {"sesslog.session"},
    }
    assert cycles_of(old) == [["sesslog.session", "sesslog.v2.opening"]]
    assert len(upward_imports(old)) == 2


#: What ``import sesslog`` (and opening a plain session file) must not load.
HEAVY = ("zstandard", "sqlite3", "watchfiles")
LAZY_PREFIXES = (
    "sesslog.write",
    "sesslog.backends.local_writer",
    "sesslog.backends.fileops",
    "sesslog.v2",
    "sesslog.cli",
    "sesslog.render",
)

#: Prints the modules the code loaded (importing nothing itself but sys).
_PROBE = """
import sys
{code}
print("\\n".join(sorted(sys.modules)))
"""


def _loaded(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.split()


def _unwanted(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m in HEAVY
        or m.split(".")[0] in HEAVY
        or any(m == p or m.startswith(p + ".") for p in LAZY_PREFIXES)
    ]


def test_import_sesslog_is_light() -> None:
    modules = _loaded("import sesslog")
    assert "sesslog.errors" in modules
    assert not _unwanted(modules)
    # the names are imported on first use: not even the reader or msgspec is loaded yet
    assert "sesslog.session" not in modules and "msgspec" not in modules
    assert "importlib.metadata" not in modules


def test_the_names_of_sesslog_load_on_first_use() -> None:
    modules = _loaded("import sesslog; sesslog.Session; sesslog.entries.SESSION_VERSION")
    assert "sesslog.session" in modules and "sesslog.format.entries" in modules
    assert not _unwanted(modules)


def test_a_read_command_loads_no_write_path_and_no_other_command(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z",'
        b'"cwd":"/"}\n'
    )
    code = (
        "import contextlib, io\nfrom sesslog.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['context', {str(path)!r}, '--json'])"
    )
    modules = _loaded(code)
    assert "sesslog.cli.core" in modules
    loaded = [m for m in modules if m.startswith(("sesslog.write", "sesslog.cli.", "sesslog.v2"))]
    # store_access: how a REF is looked up in a store; remote: the --blobs and --catalog
    # options (the store and fleet imports of both wait for a REF or a URL)
    assert loaded == [
        "sesslog.cli.app", "sesslog.cli.core", "sesslog.cli.errors", "sesslog.cli.inputs",
        "sesslog.cli.lingering", "sesslog.cli.output", "sesslog.cli.parsers",
        "sesslog.cli.remote", "sesslog.cli.store_access",
    ]  # fmt: skip
    assert "sesslog.fleet" not in modules and "obstore" not in modules and "psycopg" not in modules
    # nor what only damage, writes or help need: the standard library's JSON (lines that
    # msgspec refuses), random (new ids), threading (writers), shutil (argparse's help width),
    # calendar; nor the glued-records search
    for name in ("json", "random", "threading", "shutil", "calendar", "sesslog.format.glued"):
        assert name not in modules
    assert "sesslog.store" not in modules and "sesslog.catalog" not in modules
    assert "importlib.metadata" not in modules


def test_reading_a_session_loads_no_write_path_and_no_sidecar_code(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z",'
        b'"cwd":"/"}\n{"type":"custom","id":"a","parentId":null,'
        b'"timestamp":"2026-01-05T10:00:01.000Z","customType":"x"}\n'
    )
    code = f"import sesslog; s = sesslog.Session.open({str(path)!r}); s.context(); s.export_jsonl()"
    modules = _loaded(code)
    assert "sesslog.tree.snapshot" in modules and not _unwanted(modules)


@pytest.mark.parametrize("first", ["create", "append"])
def test_the_write_path_loads_on_the_first_create_or_append(tmp_path: Path, first: str) -> None:
    path = tmp_path / "s.jsonl"
    code = f"import sesslog; s = sesslog.Session.create(path={str(path)!r}, cwd='/')"
    if first == "append":
        code = f"{code}; s.close(); s = sesslog.Session.open({str(path)!r}); s.append_custom('x')"
    modules = _loaded(code)
    assert "sesslog.write.appender" in modules and "sesslog.backends.local_writer" in modules
    assert not [m for m in modules if m in HEAVY or m.startswith(("sesslog.v2", "sesslog.cli"))]


def test_sesslog_version_loads_no_parser() -> None:
    """``sesslog --version`` is answered before the parser and the output layer are imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "import sys; sys.argv[1:] = ['--version']; from sesslog.cli import run; run()"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    from sesslog._version import __version__

    assert done.stdout == f"sesslog {__version__}\n"
    loaded = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()}
    assert "sesslog.cli" in loaded
    assert not {"argparse", "sesslog.cli.app", "sesslog.cli.output", "msgspec"} & loaded


def test_a_read_through_a_fresh_sidecar_loads_no_migration_code(tmp_path: Path) -> None:
    """The sidecar's read side is apart from its write side (migration, catch-up, verification,
    the compression pool)."""
    from sesslog.v2 import migrate_jsonl_to_v2

    path = tmp_path / "s.jsonl"
    path.write_bytes(
        b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z",'
        b'"cwd":"/"}\n{"type":"custom","id":"a","parentId":null,'
        b'"timestamp":"2026-01-05T10:00:01.000Z","customType":"x"}\n'
    )
    migrate_jsonl_to_v2(path)
    code = (
        f"import sesslog; s = sesslog.Session.open({str(path)!r}, scope='tail:10'); s.context()\n"
        "assert s.store_kind.value == 'v2_sidecar', s.store_kind"
    )
    modules = _loaded(code)
    assert "sesslog.v2.opening" in modules
    unwanted = {"sesslog.v2.migrate", "sesslog.v2.catchup", "sesslog.v2.verify"}
    assert not unwanted & set(modules) and "concurrent.futures" not in modules
