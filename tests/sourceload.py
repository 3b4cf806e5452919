"""Load a generated program's source text as a module of its own (written to
``directory``, so that sourcediff can read the function's source back)."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path


def load_function(source: str, directory: Path, prefix: str, name: str = "f"):
    """Function ``name`` of ``source``, loaded once per distinct text."""
    module_name = prefix + hashlib.sha1(source.encode()).hexdigest()[:16]
    module = sys.modules.get(module_name)
    if module is None:
        path = directory / f"{module_name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return getattr(module, name)
