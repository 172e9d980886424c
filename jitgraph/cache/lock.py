"""Per-key inter-process locks: ``fcntl.flock`` on one small lock file per cache key.

One lock file per key (not one global lock) so that processes building different
functions never wait for each other. ``flock`` locks belong to the open file
description, so two threads of one process that each open the lock file also exclude
each other, and the kernel drops the lock when a process dies: a crashed build never
leaves a stale lock behind.
"""
import errno
import fcntl
import os


class FileLock:
    """An exclusive ``flock`` on ``path``, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, path):
        self.path = path
        self._fd = None

    def acquire(self, blocking=True):
        """Take the lock; with ``blocking=False`` return False instead of waiting.

        Creates the lock file (and its directory); raises OSError when that is impossible
        (a read-only or full cache directory) so the caller can fall back.
        """
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if not blocking and exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False
            raise
        self._fd = fd
        return True

    def release(self):
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()
