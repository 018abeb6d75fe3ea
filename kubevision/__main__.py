"""`python -m kubevision` and the frozen executable's entry point."""

import sys

from kubevision.cli import main

if __name__ == "__main__":
    sys.exit(main())
