"""``python -m jitgraph.cache``: the same as the ``jitgraph-cache`` console script."""
import sys

from jitgraph.cache.cli import main

sys.exit(main())
