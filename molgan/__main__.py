import sys

from molgan.cli import main

sys.exit(main())
