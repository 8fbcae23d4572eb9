// Flack's Pyodide loader (issue 13). pyscript.json names this module as
// PyScript's `interpreter`: PyScript imports it, reads `version`, and calls
// `loadPyodide(options)`. It is served beside Pyodide's own files (see
// flack/assets.py), so "./pyodide.mjs" and the snapshot are next to it.
//
// It starts Python from the boot snapshot the build made
// (tools/make_snapshot.mjs): a heap with the client's modules already
// imported. Whenever that cannot be done (no snapshot, a damaged one, one of
// another Pyodide build) Python starts the normal way: the snapshot can only
// make a start faster, never break it. Tested by e2e/test_boot_snapshot.py.
import { loadPyodide as start, version } from "./pyodide.mjs";

export { version };

// Asked for as soon as this module runs, in parallel with Pyodide's own
// files (Pyodide waits for the promise only when it needs the heap).
const snapshot = fetch(new URL("flack-snapshot.bin", import.meta.url)).then((response) => {
  if (!response.ok) throw new Error(`snapshot: HTTP ${response.status}`);
  return response.arrayBuffer();
});
snapshot.catch(() => {}); // handled in loadPyodide, not an "uncaught" error

export async function loadPyodide(options) {
  try {
    return await start({ ...options, _loadSnapshot: snapshot });
  } catch (error) {
    console.warn("Flack: starting Python without the boot snapshot:", error);
    return start(options);
  }
}
