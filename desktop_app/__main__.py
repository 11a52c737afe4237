"""`python -m desktop_app` runs the same command as `migration-discovery`."""

import sys

from desktop_app.cli.main import main

sys.exit(main())
