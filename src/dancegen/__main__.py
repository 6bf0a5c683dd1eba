"""``python -m dancegen`` (also what ``accelerate launch -m dancegen train ...`` runs)."""

import sys

from dancegen.cli import main

sys.exit(main())
