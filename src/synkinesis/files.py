"""Files the system writes: private to the user, never over an input, never over an existing
file unless the user asked for it.

Every command and the web server create their files and folders readable by the user only
(0600 / 0700): the process umask is set to ``077`` at start (:func:`use_private_umask`), and
folders made for patient data are made 0700 explicitly (:func:`make_private_dir`), so a file
written by a library call from a test or a notebook is private too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["OVERWRITE_HELP", "PRIVATE_UMASK", "OutputPathError", "atomic_output",
           "check_output_path", "make_private_dir", "use_private_umask"]

#: Files 0600, folders 0700.
PRIVATE_UMASK = 0o077

#: The help text of every command's ``--overwrite`` option (the rule it relaxes is here).
OVERWRITE_HELP = ("Replace output files that already exist (an input file is never "
                  "overwritten, with or without this).")


class OutputPathError(ValueError):
    """An output path that would destroy data: an input, or an existing file without
    ``overwrite`` (the message says which and what to do)."""


def use_private_umask() -> int:
    """Make every file and folder this process creates from now on private to its user.

    Returns the previous umask (for tests that restore it).
    """
    return os.umask(PRIVATE_UMASK)


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and its missing parents as 0700 folders (existing ones are left as
    they are); returns it as a Path."""
    directory = Path(path)
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    return directory


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(output: str | os.PathLike[str], *,
                      inputs: Iterable[str | os.PathLike[str]] = (),
                      overwrite: bool = False) -> Path:
    """Refuse an output path that would destroy data; returns it as a Path.

    Parameters
    ----------
    output : the file (or folder) about to be written.
    inputs : the files the command reads; the output may never be one of them (compared by
        the file itself, so a link or another spelling of the same path is caught too).
    overwrite : allow replacing an existing output that is not an input.

    Raises
    ------
    OutputPathError
        The output is an input (always), or exists and ``overwrite`` is False.
    """
    target = Path(output)
    for source in inputs:
        source_path = Path(source)
        if _same_file(target, source_path) or (
                not target.exists() and target.resolve() == source_path.resolve()):
            raise OutputPathError(f"the output {target} is the input {source_path}: "
                                  "choose another output path (an input is never overwritten)")
    if target.exists() and not overwrite:
        raise OutputPathError(f"{target} exists: choose another output path, or pass "
                              "--overwrite to replace it")
    return target


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds,
    so a failure never leaves a partial output file."""
    path = Path(path)
    try:
        make_private_dir(path.parent)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:  # named after the output, not its temporary or a parent
        raise OSError(error.errno, error.strerror, str(path)) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
