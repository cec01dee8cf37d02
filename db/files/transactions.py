"""Files on disk that follow their database transaction: an upload written in a transaction that does not commit is
removed again, and a file removed in a transaction goes only once that transaction commits.

An upload is written before its `files` row is committed (the row names the file). If the commit fails (a full
disk, a conflict, a bug later in the same batch), the row is gone but the file would stay, with nobody to find it:
personal documents kept for nothing. The paths are noted on the session (`session.info`) and handled by session
events, whatever the code that ends the transaction (the group-commit writer, a flow, the command line).

Savepoints are not followed: a file written inside a savepoint that rolls back stays until the outer transaction
ends (then it is kept if that commits); the daily sweep (db/files/sweep.py) finds such files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger(__name__)
WRITTEN, REMOVED = "tuwai_files_written", "tuwai_files_removed"


def written_in_transaction(session: Any, path: Path) -> None:
    """Note that `path` is being written for a row of this transaction: unlinked if the transaction does not commit.

    `session` is a Session or an AsyncSession (both share `info`). Call it before writing, so that a write cut
    short (a full disk) leaves no partial file either."""
    session.info.setdefault(WRITTEN, []).append(path)


def remove_after_commit(session: Any, path: Path) -> None:
    """Unlink `path` once this transaction commits (its row is deleted in it); kept if the transaction rolls back."""
    session.info.setdefault(REMOVED, []).append(path)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction decides
        return
    session.info.pop(WRITTEN, None)  # their rows are committed: the files are kept
    _unlink(session.info.pop(REMOVED, []), "removed with their rows")


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Still noted here only if the transaction did not commit (after_commit runs first and takes them).
    session.info.pop(REMOVED, None)
    _unlink(session.info.pop(WRITTEN, []), "written in a transaction that did not commit")


def _unlink(paths: list[Path], why: str) -> None:
    """Unlink at once, on the caller's thread: a few small unlinks, rarer than the transactions around them."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as error:  # the daily sweep tries again
            logger.warning("could not remove an uploaded file (%s): %s", why, error.strerror)
    if removed:
        logger.info("removed %d uploaded file(s) %s", removed, why)
