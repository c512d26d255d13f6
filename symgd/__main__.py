"""``python -m symgd`` is the ``symgd`` command."""

import sys

from symgd.cli import main

sys.exit(main())
