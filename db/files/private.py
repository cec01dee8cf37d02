"""Files and folders that hold personal data are the owner's alone (0600 and 0700), whatever the umask (UU PDP)."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE, DIR_MODE = 0o600, 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; a folder that already existed is left as its owner set it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty as 0600 if it does not exist; an existing file of ours is made 0600 too."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(descriptor).st_uid == os.getuid():
            os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def tighten(path: Path) -> None:
    """Make an existing file of ours 0600 (a database's -wal and -shm from before this version)."""
    try:
        if path.stat().st_uid == os.getuid():
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass
