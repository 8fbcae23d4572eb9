"""``python -m flack`` is ``flack``."""

import sys

from flack.cli import main

sys.exit(main())
