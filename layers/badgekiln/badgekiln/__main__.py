import sys

from badgekiln.cli import main

sys.exit(main())
