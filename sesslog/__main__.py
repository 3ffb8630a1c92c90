"""``python -m sesslog``."""

import sys

from .cli import main

sys.exit(main())
