"""Is this process one of several workers of one server? (In-memory topics must know.)

A `MemoryBroker` keeps topics in one process. Under `uvicorn --workers N`,
`WEB_CONCURRENCY`, gunicorn with uvicorn workers or hypercorn workers, each
worker would hold its own copy of every topic: a subscriber on one worker
would never see what is published on another, and nothing would say so.

Detection works from what makes processes workers of one server: they
accept connections on one shared server socket (the supervisor binds it
and hands it to every worker). Each process that serves in-memory topics
registers itself, once per server socket it holds, as a lock file
`<socket>.<pid>` in a private directory under the temp dir, and holds an
exclusive `flock` on it for as long as it lives; the kernel drops the lock
when the process dies, however it dies. Another live lock under the same
socket is a sibling worker.

This has no false positives for one worker: `uvicorn --reload` runs one
child at a time (the reloader joins the old one before starting the next,
and the reloader itself serves nothing), a single uvicorn process binds its
own socket, and TestClient or in-process use holds no server socket at
all. Independent servers (two systemd services, two test processes) bind
sockets of their own. What it cannot see: separate servers that each bind
their own socket (SO_REUSEPORT, several hosts behind a load balancer); those
need Redis just the same, and the README says so.

POSIX only (`fcntl.flock`, descriptors listed in /proc/self/fd or /dev/fd);
elsewhere nothing is detected.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable

from ..problems import ProblemError
from .broker import BrokerError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("ssegen.runtime")

TOPICS_MODE_VARIABLE = "SSEGEN_TOPICS"
"""`SSEGEN_TOPICS=per-process` accepts in-memory topics split by worker process."""

PER_PROCESS = "per-process"

SocketKey = tuple[int, int]  # (st_dev, st_ino) of a server socket

# Between two looks for server sockets while none was found (seconds; doubles).
_FIRST_SCAN_DELAY = 1.0
_LAST_SCAN_DELAY = 60.0


class PartitionedTopicsError(BrokerError, ProblemError):
    """In-memory topics under several worker processes: each would see only its own events.

    Raised by `MemoryBroker.publish` and `subscribe` (a subscriber gets it as
    a 500 problem). Set `SSEGEN_REDIS_URL` so that every worker shares the
    topics, run one worker, or opt in with `SSEGEN_TOPICS=per-process` (or
    `MemoryBroker(per_process=True)`).
    """

    def __init__(self, stream: str, siblings: Iterable[int]) -> None:
        self.siblings = sorted(siblings)
        super().__init__(
            500,
            "Topics are split across worker processes",
            partition_message(stream, self.siblings),
        )


def partition_message(stream: str | None, siblings: list[int]) -> str:
    what = f"topic {stream!r} is" if stream is not None else "topics are"
    others = ", ".join(str(pid) for pid in siblings)
    return (
        f"{what} served by an in-memory broker, but this server runs several worker "
        f"processes (this one, {os.getpid()}, and {others}): each worker would only see "
        "the events published in it. Set SSEGEN_REDIS_URL (e.g. redis://localhost:6379/0) "
        "so that all workers share the topics, or run a single worker; set "
        f"{TOPICS_MODE_VARIABLE}={PER_PROCESS} to accept topics per worker process."
    )


def per_process_from_environment() -> bool:
    """Whether `SSEGEN_TOPICS` opts in to per-process topics (ValueError for other values)."""
    value = os.environ.get(TOPICS_MODE_VARIABLE, "").strip()
    if not value:
        return False
    if value == PER_PROCESS:
        return True
    raise ValueError(f"{TOPICS_MODE_VARIABLE} must be {PER_PROCESS!r} or unset, not {value!r}")


def _registry() -> str | None:
    """The private directory of lock files, created on first use; None if unusable."""
    if fcntl is None or not hasattr(os, "getuid"):
        return None  # pragma: no cover - not POSIX
    path = os.path.join(tempfile.gettempdir(), f"ssegen-workers-{os.getuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        logger.warning("ssegen: %s is not a directory of this user: workers are not detected", path)
        return None
    return path


def server_sockets() -> set[SocketKey]:
    """The server sockets among this process's file descriptors (see `_serves`)."""
    directory = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    try:
        names = os.listdir(directory)
    except OSError:
        return set()
    found: set[SocketKey] = set()
    for name in names:
        try:
            fd = int(name)
            info = os.fstat(fd)
            if stat.S_ISSOCK(info.st_mode) and _serves(fd):
                found.add((info.st_dev, info.st_ino))
        except (ValueError, OSError):
            continue
    return found


def _serves(fd: int) -> bool:
    """A stream socket bound to an address and connected to nothing: one to accept on.

    Not just "listening": a supervisor binds the socket and each worker calls
    `listen()` when its server starts, after the app is imported. A socket
    that is connected (a journald stdout, a pipe to the supervisor) is left
    out, so processes that merely share one are not taken for workers.
    """
    # A duplicate to ask through (its family found by the kernel); closing it
    # leaves the original alone.
    with socket.socket(fileno=os.dup(fd)) as probe:
        if probe.type != socket.SOCK_STREAM:
            return False
        accepting = getattr(socket, "SO_ACCEPTCONN", None)
        if accepting is not None and probe.getsockopt(socket.SOL_SOCKET, accepting):
            return True
        address = probe.getsockname()
        bound = bool(address) if isinstance(address, (str, bytes)) else address[1] != 0
        if not bound:
            return False
        try:
            probe.getpeername()
        except OSError as exc:
            return exc.errno == errno.ENOTCONN
        return False


def _prefix(key: SocketKey) -> str:
    return f"{key[0]}-{key[1]}."


def _same_file(path: str, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _is_held(path: str) -> bool | None:
    """True while a live process holds the lock file; False (and removed) if stale."""
    assert fcntl is not None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            # Shared: two processes looking at once do not mistake each other for holders.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        if _same_file(path, fd):
            os.unlink(path)  # its process is gone
        return False
    except OSError:
        return None
    finally:
        os.close(fd)


def _lock(path: str) -> int | None:
    """Create `path` and hold an exclusive lock on it; None if that cannot be done."""
    assert fcntl is not None
    for _attempt in range(200):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                return None
            time.sleep(0.001)  # someone is looking at it (a shared lock, held for an instant)
            continue
        if _same_file(path, fd):
            return fd
        os.close(fd)  # removed as stale between our open and our lock: again
    return None


class WorkerRegistration:
    """This process's lock files, one per server socket; tells sibling workers apart."""

    def __init__(self) -> None:
        self._pid = 0
        self._held: dict[SocketKey, tuple[str, int]] = {}
        self._scan_at = 0.0
        self._scan_delay = _FIRST_SCAN_DELAY
        _instances.add(self)

    def siblings(self) -> set[int]:
        """Pids of the other live processes that serve topics on one of our server sockets."""
        directory = _registry()
        if directory is None:
            return set()
        pid = os.getpid()
        if pid != self._pid:
            self._forget()  # new process (a fork): register anew
            self._pid = pid
        now = time.monotonic()
        if not self._held and now >= self._scan_at:
            self._register(directory)
            if not self._held:
                self._scan_at = now + self._scan_delay
                self._scan_delay = min(self._scan_delay * 2, _LAST_SCAN_DELAY)
        if not self._held:
            return set()
        parent = os.getppid()  # a preloading master (gunicorn --preload) serves nothing
        found: set[int] = set()
        try:
            names = os.listdir(directory)
        except OSError:
            return set()
        for key in self._held:
            prefix = _prefix(key)
            for name in names:
                if not name.startswith(prefix):
                    continue
                try:
                    other = int(name[len(prefix) :])
                except ValueError:
                    continue
                if other not in (pid, parent) and _is_held(os.path.join(directory, name)):
                    found.add(other)
        return found

    def close(self) -> None:
        """Unregister (the broker was closed); the next `siblings()` registers again."""
        for path, fd in self._held.values():
            if _same_file(path, fd):
                try:
                    os.unlink(path)
                except OSError:
                    pass
            os.close(fd)
        self._held = {}
        self._scan_at = 0.0
        self._scan_delay = _FIRST_SCAN_DELAY

    def _register(self, directory: str) -> None:
        keys = server_sockets()
        if not keys:
            return
        prefixes = tuple(_prefix(key) for key in keys)
        # Lock files of dead processes, from this server or earlier ones, go now.
        try:
            for name in os.listdir(directory):
                if not name.startswith(prefixes):
                    _is_held(os.path.join(directory, name))
        except OSError:
            pass
        for key, prefix in zip(keys, prefixes, strict=True):
            path = os.path.join(directory, f"{prefix}{self._pid}")
            fd = _lock(path)
            if fd is not None:
                self._held[key] = (path, fd)

    def _forget(self) -> None:
        # Inherited across fork: the descriptors share the parent's locks.
        # Closing them here leaves the parent's registration as it is.
        for _path, fd in self._held.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._held = {}
        self._scan_at = 0.0
        self._scan_delay = _FIRST_SCAN_DELAY


_instances: weakref.WeakSet[WorkerRegistration] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for registration in list(_instances):
        registration._forget()
        registration._pid = 0


if sys.platform != "win32" and hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
