"""`python -m functions` serves the function: the container's entry point (`paved serve`)."""

import sys

from functions.cli import main

if __name__ == "__main__":
    main(
        args=sys.argv[1:]
        if sys.argv[1:2] and sys.argv[1] in main.commands
        else ["serve", *sys.argv[1:]]
    )
