// Compile Pyodide's standard library zip to bytecode with Pyodide itself.
// Usage: node precompile_stdlib.mjs <pyodide folder> <output zip>
// Called by hatch_build.py after `npm ci`; the work is Python
// (precompile_stdlib.py beside this file), run by the very interpreter whose
// bytecode the page needs. Prints "<compiled> <kept> <magic hex>".
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [folder, output] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(join(folder, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: folder + "/" });
// Pyodide's file system is its own: copy the zip and the script in, the result out.
pyodide.FS.writeFile("/tmp/in.zip", readFileSync(join(folder, "python_stdlib.zip")));
const script = readFileSync(new URL("precompile_stdlib.py", import.meta.url), "utf8");
pyodide.runPython(script); // defines precompile() and mounted_zip()
const report = pyodide.runPython(`
import importlib.util
done = precompile("/tmp/in.zip", "/tmp/out.zip", mounted_zip())
f"{done[0]} {done[1]} {importlib.util.MAGIC_NUMBER.hex()}"
`);
writeFileSync(output, pyodide.FS.readFile("/tmp/out.zip"));
console.log(report);
