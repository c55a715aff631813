"""`python -m bot` runs the supportbot CLI."""

from __future__ import annotations

import sys

from bot.cli.main import main

sys.exit(main())
