"""``python -m sesslog``."""

import sys

from sesslog.cli import main

sys.exit(main())
