"""Flack: a Slack-style team chat written in Python on both sides.

This file is also served to the browser (the client imports ``flack.protocol``),
so it must stay free of imports.
"""

__version__ = "0.1.0"
