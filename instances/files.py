"""Files read and written safely: bounded reads, atomic writes, checked output paths, locks.

* :func:`read_input` reads at most :data:`MAX_INPUT_BYTES` (``/dev/zero`` or an endless pipe
  ends in one clean error, not in exhausted memory) and accepts a UTF-8 byte-order mark.
* :func:`check_output` refuses, before any computing, an output path that is not a regular file
  or a new name (a device node, a folder), or whose folder cannot be written (a file is created
  there and removed, as the write will create one).
* :func:`atomic_write` writes through a temporary file created exclusively (``O_EXCL``, a random
  name) in the target's folder, flushed to disk, then renamed over the target: a reader sees the
  old file or the new one, never half of one, and a planted symlink is never followed;
  :func:`written_together` does so for several files at once, all or none. The temporary file
  that a killed writer left (SIGKILL runs no cleanup) is removed by the next write of the same
  target in the same process-id space, once its writer's process is gone.
* :func:`exclusive_lock` holds an advisory lock (``fcntl.flock``) so two processes never write
  the same results at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from instances.errors import CabenchError, InputError

__all__ = ["MAX_INPUT_BYTES", "MAX_STDIN_BYTES", "OutputError", "atomic_write", "atomic_write_text", "check_output",
           "exclusive_lock", "folders_made_removed", "make_folders", "owner_ended", "owner_tag", "process_space",
           "read_input", "read_standard_bytes", "read_standard_input", "readable_limit", "readable_text", "sync_folder",
           "text_writer", "written_together"]

MAX_INPUT_BYTES = 64 * 2**20
"""The largest input file read (64 MiB): a complete 20-good table of 10^12 values is 15 MB."""
MAX_STDIN_BYTES = 256 * 2**20
"""Most bytes read from standard input (a pipe has no size to check beforehand), and so the
largest instance written to standard output: ``cabench annotate BIG --knowledge ... |
cabench benchmarks -`` reads what a file could not hold."""


class OutputError(CabenchError):
    """An output that cannot be written: the path and why (the CLI exits with status 2)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: cannot write: {reason}")


def read_input(path: str | Path, limit: int = MAX_INPUT_BYTES, what: str = "a text file") -> str:
    """The text of ``path`` (UTF-8, an optional byte-order mark dropped), at most ``limit`` bytes."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(source, "", f"cannot read the file: {exc.strerror or exc}") from None
    return _decoded(data, source, limit, "larger than {mib} MiB; cabench reads input files up to that size (the "
                    f"commands that take FILE as - read up to {MAX_STDIN_BYTES // 2**20} MiB from standard input)",
                    what)


def read_standard_input(limit: int, what: str = "a text file") -> str:
    """:func:`read_input` of standard input (a pipe has no size to check beforehand)."""
    return _decoded(read_standard_bytes(limit), "<stdin>", limit, _TOO_MUCH_INPUT, what)


_TOO_MUCH_INPUT = "standard input holds more than {mib} MiB; pass a file name instead"


def read_standard_bytes(limit: int) -> bytes:
    """The bytes of standard input, at most ``limit`` (:class:`InputError` beyond, or when it is
    closed or unreadable): a binary input (a Parquet file), or the text of
    :func:`read_standard_input` before it is decoded."""
    if sys.stdin is None:  # started with standard input closed (`<&-`)
        raise InputError("<stdin>", "", "standard input is closed; give a file name instead of -")
    try:
        data = sys.stdin.buffer.read(limit + 1)
    except OSError as exc:
        raise InputError("<stdin>", "", f"cannot read standard input: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError("<stdin>", "", _TOO_MUCH_INPUT.format(mib=limit // 2**20))
    return data


def _decoded(data: bytes, source: str, limit: int, too_large: str, what: str) -> str:
    if len(data) > limit:
        raise InputError(source, "", too_large.format(mib=limit // 2**20))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # (the line too: a byte of Latin-1 in a comment of a long file was hard to find by offset).
        # Counted in the file's bytes, a byte-order mark included (the codec's offset is after
        # it), with lines ending at "\n", "\r\n" or "\r" as the CATS reader ends them
        at = exc.start + len(data) - len(exc.object)
        line = data.count(b"\n", 0, at) + data.count(b"\r", 0, at) - data.count(b"\r\n", 0, at) + 1
        raise InputError(source, f"line {line}", f"not UTF-8 text (byte {at}); expected {what}") from None


def readable_text(text: str, output: str | Path | None,
                  advice: str = "draw the knowledge on fewer players or bids") -> str:
    """``text``, an instance file about to be written to ``output`` (None: standard output), if
    cabench can read it back: an :class:`OutputError` that ends with ``advice`` when it is above
    :data:`MAX_INPUT_BYTES` for a file, :data:`MAX_STDIN_BYTES` for standard output, which a pipe
    takes to the next command (knowledge drawn on hundreds of players repeats every valuation for
    every player: 91 MB on a CATS arbitrary file of 402 bidders)."""
    limit, reads = readable_limit(output)
    if len(text) * 4 <= limit:  # (UTF-8: at most 4 bytes a character) no need to encode it
        return text
    if (size := len(text.encode())) > limit:
        if output is not None:
            reads += f" (and up to {MAX_STDIN_BYTES // 2**20} MiB from standard input, through a pipe)"
        raise OutputError("standard output" if output is None else output,
                          f"the instance would be {size / 1e6:.1f} MB, above the {limit // 2**20} MiB that cabench "
                          f"reads {reads}; {advice}")
    return text


def readable_limit(output: str | Path | None) -> tuple[int, str]:
    """(the most bytes, where cabench reads them) of an instance written to ``output``: a file is
    read up to :data:`MAX_INPUT_BYTES`; standard output (None), which a pipe takes to a command's
    ``-``, up to :data:`MAX_STDIN_BYTES`."""
    return (MAX_STDIN_BYTES, "from standard input") if output is None else (MAX_INPUT_BYTES, "from a file")


@contextlib.contextmanager
def folders_made_removed(path: Path | None) -> Iterator[Callable[[], None]]:
    """Within the block, the folders of ``path`` missing at its start (which :func:`check_output`
    makes) are removed again if the block fails, those still empty, so that an error writes
    nothing; yields the function that removes them."""
    missing = [] if path is None else [f for f in [path, *path.parents] if not f.exists()]  # deepest first

    def remove() -> None:
        for folder in missing:
            if folder.is_dir() and not folder.is_symlink():
                with contextlib.suppress(OSError):  # not empty, or not ours to remove: kept
                    folder.rmdir()

    try:
        yield remove
    except BaseException:
        remove()
        raise


def check_output(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> Path:
    """``path`` if it can be written as a file (raises :class:`OutputError` otherwise); its
    missing parent folders are created. ``inputs``: files the command reads (None or - for
    none), which ``path`` must not be: writing the output would destroy them."""
    path = Path(path)
    for source in inputs:
        if source is not None and str(source) != "-" and _same_file(path, Path(source)):
            raise OutputError(path, f"it is the input file {source}; give another file name for the output")
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a symbolic link" if stat.S_ISLNK(info.st_mode) \
            else "not a regular file"
        raise OutputError(path, f"it is {kind}; give a new file name or a regular file to replace")
    parent = path.parent
    for folder in [parent, *parent.parents]:
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(path, f"{folder} is not a folder")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise OutputError(path, f"the folder {folder} is not writable")
            break
    try:
        make_folders(parent)
        # a file created there, as the write will (a folder of /sys or /proc, a read-only mount
        # passed the access check above for root: the refusal came after all the computing)
        probe = _temporary_beside(path)
        try:
            os.close(_created(probe))
        finally:
            probe.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    return path


def make_folders(folder: Path) -> None:
    """``folder.mkdir(parents=True, exist_ok=True)`` without recursion: Python's makes one call
    per missing folder, and a path about 1,000 folders deep (2,000 characters, within the
    system's limit) ended every writing command in a RecursionError (found by a user's audit)."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for made in reversed(missing):
        try:
            made.mkdir()
        except FileExistsError:
            if not made.is_dir():
                raise


def _temporary_beside(path: Path) -> Path:
    """A new name for a temporary file in the folder of ``path``, ``.NAME.PID.HOST.<random>.tmp``
    (the writer's process id and :func:`process_space`, for :func:`_remove_left_behind`), chosen before
    the file is made (:func:`_created`): whoever makes it can then remove it by name however it is
    stopped. ``tempfile.mkstemp`` names the file only once made, and a Ctrl-C in between left it,
    in a folder the command had made, which then was not empty and stayed."""
    return path.parent / f".{path.name}.{owner_tag()}.{secrets.token_hex(8)}.tmp"


def process_space() -> str:
    """The space of process ids this process lives in, as 12 hex digits: the machine's name, its
    boot and its process-id namespace (a folder may be shared between machines, or between
    containers of one machine, whose process ids say nothing of each other)."""
    parts = [socket.gethostname()]
    with contextlib.suppress(OSError):  # (Linux; elsewhere the name alone)
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    return hashlib.blake2s("\0".join(parts).encode(), digest_size=6).hexdigest()


def owner_tag() -> str:
    """``PID.HOST``: this process's id and :func:`process_space`, put in the names of the temporary files
    and folders it makes, so that whoever finds one left behind can tell whether its maker has
    ended (:func:`owner_ended`)."""
    return f"{os.getpid()}.{process_space()}"


def owner_ended(tag: str, here: str | None = None) -> bool:
    """Whether the process named by ``tag`` (:func:`owner_tag`) has ended: a process of this
    process-id space (:func:`process_space`, or ``here`` if given: a scan of many names reads it once)
    that no longer exists. A process of another space, this process, another user's process
    (running) or a process id reused since (taken as running) have not; neither has a tag of
    another form."""
    pid, _, host = tag.partition(".")
    if host != (here or process_space()) or not (pid.isascii() and pid.isdigit()) or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # (PermissionError: another user's process, running)
        return False
    return False


def _remove_left_behind(path: Path) -> None:
    """Remove the temporary files of ``path`` (:func:`_temporary_beside`) whose writer has ended
    (:func:`owner_ended`): a writer killed by SIGKILL left its file (a ``plot`` killed while
    saving left ``.figure.png.<random>.tmp`` for ever). A file of a running process, of another
    process-id space or of another name is left alone."""
    prefix, here = f".{path.name}.", process_space()
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            parts = name[len(prefix):-len(".tmp")].split(".")
            if len(parts) == 3 and owner_ended(f"{parts[0]}.{parts[1]}", here):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _created(name: Path) -> int:
    """A descriptor of the new, private file ``name`` (an error if it exists), as mkstemp makes it."""
    return os.open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet: the same path, links resolved
        return os.path.realpath(a) == os.path.realpath(b)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)`` and put the result at ``path`` atomically (see the module
    docstring); the file gets the usual permissions (``0o666`` minus the umask)."""
    with written_together() as stage:
        stage(path, write)


def text_writer(text: str) -> Callable[[Path], None]:
    """A ``write`` for :func:`atomic_write` or :func:`written_together`'s ``stage``: ``text`` as UTF-8."""
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write` of a text (UTF-8)."""
    atomic_write(path, text_writer(text))


@contextlib.contextmanager
def written_together() -> Iterator[Callable[[str | Path, Callable[[Path], None]], None]]:
    """Several outputs written all or none: within the block, ``stage(path, write)`` has
    ``write(temporary_path)`` fill a temporary file in the folder of ``path`` (as
    :func:`atomic_write` does); when the block ends without an error, each is renamed over its
    target in turn, after whatever else the block did. An error anywhere in the block (the
    second file cannot be created, the report cannot be printed) removes the temporary files and
    leaves every target as it was (a command's first CSV stayed written when its second failed);
    only a failure among the renames themselves, rare, leaves the ones before it done."""
    staged: list[tuple[Path, Path]] = []  # (temporary file, target)

    def stage(path: str | Path, write: Callable[[Path], None]) -> None:
        path = check_output(path)
        _remove_left_behind(path)
        tmp = _temporary_beside(path)
        staged.append((tmp, path))  # (before it is made: removed by name however the block ends)
        try:
            fd = _created(tmp)
        except OSError as exc:
            raise OutputError(path, exc.strerror or str(exc)) from None
        try:
            os.close(fd)
            write(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # the temporary file is private; the result is not
        except OSError as exc:  # (a writer's own message names the temporary file: the user's is shown)
            raise OutputError(path, exc.strerror or str(exc).replace(str(tmp), str(path))) from None

    try:
        yield stage
        for k, (tmp, path) in enumerate(staged):
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputError(path, exc.strerror or str(exc).replace(str(tmp), str(path))) from None
            staged[k] = (path, path)  # (renamed: no longer ours to remove)
    finally:
        for tmp, path in staged:
            if tmp != path:
                tmp.unlink(missing_ok=True)
    for folder in dict.fromkeys(path.parent for _, path in staged):
        sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def exclusive_lock(lock: Path, what: str) -> Iterator[None]:
    """Hold an exclusive advisory lock on the file ``lock`` within the block; if another process
    holds it, raise :class:`CabenchError` at once saying so (``what`` names the protected thing).

    The file exists only while the lock is held: it is created, locked, and removed before it is
    unlocked. A process that opened it just before its removal locks a file no longer at that
    path; it sees this (the path names another file or none) and tries again, so two processes
    never both hold the lock."""
    import fcntl

    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(lock, exc.strerror or str(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise CabenchError(f"{what}: another cabench sweep or experiment (pid {holder}) is writing it; wait "
                               f"for it to finish, or write to another file") from None
        try:
            if _names(lock, fd):
                break
        except OSError as exc:
            os.close(fd)
            raise OutputError(lock, exc.strerror or str(exc)) from None
        os.close(fd)  # the holder removed it between our open and our lock: take the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            if _names(lock, fd):  # (a file put there by hand meanwhile is not ours to remove)
                os.unlink(lock)
        os.close(fd)


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` names the open file ``fd`` (False when it names none)."""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
