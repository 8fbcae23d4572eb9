"""The Flack browser client: Python running under PyScript/Pyodide.

Decisions live in modules that import under plain CPython (tested there):
``state`` (``ChatState``, the one thing ``main`` changes, by its methods)
composes ``connection``, ``identity``, ``channel`` with its ``log``,
``outbox`` and ``sending``, ``sharing`` with the ``uploads`` state machine;
``entries``, ``checks``, ``wording``, ``alert`` and ``effects`` are their
vocabulary. Wire shapes are the protocol's own (``flack.protocol``).
``view`` and ``log_view`` (DOM), ``net`` (socket.io), ``storage``
(localStorage) and ``uploads_http`` (fetch) are the thin layers that touch
the browser; ``main`` wires them together at boot.
"""
