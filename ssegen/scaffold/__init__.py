"""`ssegen init`: a first project in an empty folder, that builds and serves at once.

It writes a spec (`specs/hello.yaml`), an app implementing it (`app.py`), the
`[tool.ssegen]` section of a `pyproject.toml`, a CI workflow running
`ssegen check` and `ssegen diff`, and the editor schema the spec points its
editor at. It refuses to overwrite any file.

What users see of it: README, "CLI" > "A new project".
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ssegen.spec.editor_schema import render_editor_schema

FILES = {
    "specs/hello.yaml": "hello.yaml",
    "app.py": "app.py.txt",
    "pyproject.toml": "pyproject.toml.txt",
    ".github/workflows/ssegen.yml": "ssegen.yml",
}
SCHEMA = "ssegen-spec.schema.json"


class InitError(Exception):
    """A file `init` would write exists already."""


def init(folder: Path) -> list[str]:
    """Write the scaffold into `folder`; returns the files written, in order."""
    existing = [name for name in (*FILES, SCHEMA) if (folder / name).exists()]
    if existing:
        raise InitError(f"{', '.join(existing)} exist already in {folder}: nothing was written")
    templates = resources.files("ssegen.scaffold")
    for name, template in FILES.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            templates.joinpath(template).read_text(encoding="utf-8"), encoding="utf-8"
        )
    (folder / SCHEMA).write_text(render_editor_schema(), encoding="utf-8")
    return [*FILES, SCHEMA]
