"""`python -m b24monitor` runs the same entry point as the `b24monitor` script."""

import sys

from b24monitor.cli import main

sys.exit(main())
