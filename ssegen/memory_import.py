"""Import rendered packages straight from memory: `ssegen serve` writes no files.

A meta path finder (PEP 451) serves `{relative path: source}` as modules
under a fresh parent package, so the generated packages' relative imports
(`from .events import ...`) work and nothing can shadow, or be shadowed by, a
module of the same name on `sys.path` (a package named `logs` or `jobs`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import itertools
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType

_roots = itertools.count(1)


class _MemoryModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, root: str, files: Mapping[str, str]) -> None:
        self.root = root
        self.sources: dict[str, tuple[str, str]] = {}  # module name -> (display path, source)
        for relative, source in files.items():
            if not relative.endswith(".py"):
                continue
            parts = relative.removesuffix(".py").split("/")
            if parts[-1] == "__init__":
                parts.pop()
            self.sources[".".join([root, *parts])] = (relative, source)
        self.packages = {
            name for name, (relative, _) in self.sources.items() if relative.endswith("__init__.py")
        }
        self.packages.add(root)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.root and fullname not in self.sources:
            return None
        is_package = fullname in self.packages
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)
        if is_package:
            spec.submodule_search_locations = []
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        if name == self.root and name not in self.sources:
            return  # the parent package: empty
        relative, source = self.sources[name]
        # The display path shows in tracebacks, e.g. `<ssegen serve>/jobs/router.py`.
        # Our own rendered code, the same `ssegen build` would write and the app import.
        exec(compile(source, f"<ssegen serve>/{relative}", "exec"), module.__dict__)  # noqa: S102


def import_rendered(files: Mapping[str, str], packages: Sequence[str]) -> dict[str, ModuleType]:
    """Import `packages` from the rendered `files`; returns {package: module}."""
    root = f"_ssegen_serve_{next(_roots)}"
    finder = _MemoryModules(root, files)
    sys.meta_path.insert(0, finder)
    return {package: importlib.import_module(f"{root}.{package}") for package in packages}


@contextmanager
def imported(files: Mapping[str, str], packages: Sequence[str]) -> Iterator[dict[str, ModuleType]]:
    """`import_rendered` for a while: afterwards its modules and finder are gone again."""
    root = f"_ssegen_check_{next(_roots)}"
    finder = _MemoryModules(root, files)
    sys.meta_path.insert(0, finder)
    try:
        yield {package: importlib.import_module(f"{root}.{package}") for package in packages}
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == root or n.startswith(root + ".")]:
            del sys.modules[name]
