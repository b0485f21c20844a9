"""Print docs/architecture.md's module map: every module, its docstring's first line, its importers.

Why generated: the map must stay true as modules move (#14: a new engineer names, for any
file, what it does and who calls it from docs/architecture.md alone). Imports inside
functions count, since the CLI imports its heavy modules lazily.

    python scripts/module_map.py > /tmp/map.md   # then replace the section in the doc
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src"


def _imported(node: ast.AST, package: str) -> list[str]:
    """Absolute module names an import statement may refer to."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    return [base] + [f"{base}.{a.name}" for a in node.names]


def main() -> None:
    mods: dict[str, tuple[Path, str]] = {}
    for f in sorted((ROOT / "mockingbot").rglob("*.py")):
        if f.name == "__init__.py":
            continue
        name = ".".join(f.relative_to(ROOT).with_suffix("").parts)
        doc = ast.get_docstring(ast.parse(f.read_text(encoding="utf-8"))) or ""
        mods[name] = (f, doc.strip().split("\n\n")[0].replace("\n", " "))
    importers: dict[str, set[str]] = {m: set() for m in mods}
    for m, (f, _) in mods.items():
        package = m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            for target in _imported(node, package):
                if target in importers and target != m:
                    importers[target].add(m)
    print("| module | what it does | imported by |")
    print("|---|---|---|")
    for m, (_, first) in mods.items():
        by = ", ".join(sorted(x.removeprefix("mockingbot.") for x in importers[m]))
        first = first.replace("|", "\\|")
        print(f"| `{m.removeprefix('mockingbot.')}` | {first} | {by or '— (entry point)'} |")


if __name__ == "__main__":
    main()
