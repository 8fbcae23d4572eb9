// Compile Pyodide's standard library zip, and the client, to bytecode with Pyodide itself.
// Usage: node precompile_stdlib.mjs <pyodide folder> <output zip> [<repository>]
// Called by hatch_build.py after `npm ci`; the work is Python
// (precompile_stdlib.py beside this file), run by the very interpreter whose
// bytecode the page needs. With a repository, the client's modules too, into
// its frontend/node_modules/flack-bytecode (read and written through a mount).
// Prints "<compiled> <kept> <magic hex>" (and " <client modules>").
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [folder, output, repository] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(join(folder, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: folder + "/" });
// Pyodide's file system is its own: copy the zip and the script in, the result out.
pyodide.FS.writeFile("/tmp/in.zip", readFileSync(join(folder, "python_stdlib.zip")));
const script = readFileSync(new URL("precompile_stdlib.py", import.meta.url), "utf8");
pyodide.runPython(script); // defines precompile(), compile_client() and mounted_zip()
let report = pyodide.runPython(`
import importlib.util
done = precompile("/tmp/in.zip", "/tmp/out.zip", mounted_zip())
f"{done[0]} {done[1]} {importlib.util.MAGIC_NUMBER.hex()}"
`);
writeFileSync(output, pyodide.FS.readFile("/tmp/out.zip"));
if (repository) {
  pyodide.FS.mkdirTree("/mnt/repository");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repository }, "/mnt/repository");
  report += " " + pyodide.runPython("compile_client('/mnt/repository')");
}
console.log(report);
