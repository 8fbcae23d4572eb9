"""Build hook: put the front end (page, client, npm assets) into the wheel.

Runs ``npm ci`` in ``frontend/`` (exact versions from package-lock.json, so no
third-party file is ever committed) and assembles ``build/web``, which the wheel
carries as ``flack/web``. What is copied is decided by ``flack/assets.py``.

Between the two, Pyodide's standard library zip is compiled to bytecode by
Pyodide itself, running in Node (``tools/precompile_stdlib.mjs``): the npm
package ships it as source, which CPython would otherwise compile on every
start in the browser. It is replaced in place in ``node_modules`` (which
``npm ci`` rebuilds from scratch each time), so an editable install serves
the precompiled zip too, under its usual name. The same run compiles the
client's own modules into ``node_modules/flack-bytecode``, which the server
zips with their sources (``flack/bundle.py``).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _load_assets(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location("_flack_assets", root / "backend/flack/assets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


class FrontendBuildHook(BuildHookInterface):
    """Assemble the web folder before the wheel is written."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        frontend = root / "frontend"
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("Building Flack needs npm (Node.js) to fetch its front-end assets.")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=frontend, check=True)
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Building Flack needs Node.js to precompile Pyodide's standard library.")
        pyodide = frontend / "node_modules" / "pyodide"
        zipped = pyodide / "python_stdlib.zip"
        subprocess.run(
            [node, str(root / "tools/precompile_stdlib.mjs"), str(pyodide), str(zipped), str(root)],
            check=True,
        )
        if version == "editable":
            return  # an editable install serves frontend/ and node_modules directly
        staging = root / "build" / "web"
        _load_assets(root).assemble(frontend, staging)
        build_data["force_include"][str(staging)] = "flack/web"
