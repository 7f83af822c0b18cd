import sys

from glasslib.cli import main

sys.exit(main())
