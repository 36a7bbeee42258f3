"""Print the @font-face rules read on stdin whose font files were copied (used by make)."""

import re
import sys
from pathlib import Path

css, files = sys.stdin.read(), Path(sys.argv[1])
for rule in re.findall(r"@font-face\s*{[^}]*}", css):
    names = re.findall(r"url\(\./files/([^)]+)\)", rule)
    if names and all((files / name).exists() for name in names):
        print(rule + "\n")
