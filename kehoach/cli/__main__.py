"""``python -m kehoach.cli``: the same command as ``kehoach``."""

from kehoach.cli import main

if __name__ == "__main__":
    main()
