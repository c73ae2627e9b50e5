"""`python -m assistant`: the same command as `assistant`."""

import sys

from .cli import main

sys.exit(main())
