"""The PyInstaller bundle's entry point: the same `b24monitor.cli:main` as the console script."""

import sys

from b24monitor.cli import main

if __name__ == "__main__":
    sys.exit(main())
