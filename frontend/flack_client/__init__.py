"""The Flack browser client: Python running under PyScript/Pyodide.

``state`` holds every decision and is plain Python (tested under CPython);
``view``, ``net`` and ``storage`` are the thin layers that touch the browser;
``main`` wires them together at boot.
"""
