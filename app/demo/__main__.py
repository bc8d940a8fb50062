"""``python -m app.demo [PATH]``: regenerate the synthetic demo registry."""

import sys

from app.demo.cli_main import main

sys.exit(main(sys.argv[1:]))
