"""``python -m sknn_scratch``: the same as the ``sknn-scratch`` command."""

import sys

from sknn_scratch.cli import main

if __name__ == "__main__":
    sys.exit(main())
