"""`python -m aduan_devstack` is the `aduan-dev` command."""

import sys

from aduan_devstack.cli import main

sys.exit(main())
