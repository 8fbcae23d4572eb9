// Make Flack's boot snapshot: Pyodide's heap with the client imported (issue 13).
// Usage: node make_snapshot.mjs <pyodide folder> <repository> <output file>
// Called by hatch_build.py after precompile_stdlib.mjs: the heap holds
// zipimport's index of the standard library zip, so the snapshot must be made
// from the very zip the page loads. The work is Python (make_snapshot.py).
// The snapshot is restored once here before it is written: one that does not
// restore is never shipped. Prints "<modules imported> <bytes>".
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [folder, repository, output] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(join(folder, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: folder + "/", _makeSnapshot: true });
pyodide.FS.mkdirTree("/mnt/repository"); // the build host's files, read by Python
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repository }, "/mnt/repository");
const scope = pyodide.globals.get("dict")(); // keeps the script out of __main__
pyodide.runPython(readFileSync(new URL("make_snapshot.py", import.meta.url), "utf8"), { globals: scope });
const count = pyodide.runPython("len(prepare('/mnt/repository', '/home/pyodide'))", { globals: scope });
scope.destroy();
pyodide.FS.unmount("/mnt/repository");
const snapshot = pyodide.makeMemorySnapshot();
const restored = await loadPyodide({ indexURL: folder + "/", _loadSnapshot: snapshot });
restored.runPython("import sys; assert '_flack_snapshot' in sys.modules, 'snapshot lost the client'");
writeFileSync(output, snapshot);
console.log(`${count} ${snapshot.length}`);
