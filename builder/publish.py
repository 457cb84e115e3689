"""Atomic publishing of the output folder (Lektor-style: build aside, then swap).

Pages are written into a staging folder beside ``output/``.  Only when every
file is written does the staging folder take the place of ``output/``:

* on Linux with ``renameat2(RENAME_EXCHANGE)`` the two folders are swapped in
  one atomic step, so a reader (or a SIGKILL) sees either the complete old
  site or the complete new one;
* elsewhere two renames are used, and the next build restores the old folder
  if a crash happened between them;
* when ``output/`` is a mount point (a rename cannot replace it) its content
  is synchronised file by file instead, and the reporter says so.

A big site's staging folder starts as a hard-linked copy of ``output/`` (made by a
forked child while the build loads).  The folder swapped out (the previous site) is
kept beside ``output/`` as ``.<output>.spare`` instead of being deleted, and becomes the
next build's staging folder: only the files whose hard link differs from ``output/``'s
are linked again, so an edit costs a walk of both folders instead of linking and
deleting every file (250,000 at 100,000 notices with the search index).

A lock file serialises builds writing the same output.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import time
from pathlib import Path

from .workers import ForkedResult, die_with

RENAME_EXCHANGE = 2
BACKGROUND_DELETE = 2000  # files; a previous output this big is deleted by a detached process
SPARE_MIN = 2000  # files; a previous output this big is kept as the next build's staging folder


class PublishError(Exception):
    pass


def _renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _renameat2() if os.name == "posix" else None
AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the platform or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _hold(folder: Path) -> int:
    """An open descriptor of ``folder`` holding an exclusive lock on it (the deleter's)."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _being_deleted(folder: Path) -> bool:
    """A previous build's deleter is still at work on ``folder`` (it holds the folder's lock):
    leave it to it instead of deleting the same files on this build's time.  A deleter that was
    killed holds nothing, and the folder is deleted here."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also releases the lock taken just now
    return False


class OutputLock:
    """An exclusive lock on ``.<output>.lock`` beside the output folder."""

    def __init__(self, output: Path, on_wait=None):
        self.path = output.parent / f".{output.name}.lock"
        self.on_wait = on_wait
        self.fh = None

    def __enter__(self) -> "OutputLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+b")
        if os.name == "posix":
            import fcntl

            try:
                fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if self.on_wait:
                    self.on_wait()
                fcntl.flock(self.fh, fcntl.LOCK_EX)
        else:  # pragma: no cover - Windows
            import msvcrt

            self.fh.seek(0)
            try:
                msvcrt.locking(self.fh.fileno(), msvcrt.LK_NBLCK, 1)
            except OSError:
                if self.on_wait:
                    self.on_wait()
                msvcrt.locking(self.fh.fileno(), msvcrt.LK_LOCK, 1)
        return self

    def __exit__(self, *exc) -> None:
        if self.fh:
            self.fh.close()
            self.fh = None


class Staging:
    """A folder that becomes ``output/`` on :meth:`commit`; discarded on :meth:`abort`."""

    def __init__(self, output: Path):
        self.output = output.resolve() if output.exists() else output.absolute()
        self.parent = self.output.parent
        self.dir = self.parent / f".{self.output.name}.staging"
        self.old = self.parent / f".{self.output.name}.old"
        self.spare = self.parent / f".{self.output.name}.spare"  # the site before, to stage the next one in
        self.files = 0
        self.bytes = 0
        self._dirs: set[str] = set()
        self.note = ""
        self.cloned = False
        self.carried = 0  # files hard-linked from the previous output
        self._child: int | None = None  # the prefetching process
        self._prefetched: list[str] | None = None

    def recover(self) -> None:
        """Undo what a killed build left behind (call with the lock held)."""
        if not self.output.exists() and self.old.is_dir():
            os.replace(self.old, self.output)
        prefix = f".{self.output.name}.trash-"
        try:
            trash = [self.parent / n for n in os.listdir(self.parent) if n.startswith(prefix)]
        except OSError:
            trash = []
        for stale in (self.dir, self.old, *(t for t in trash if not _being_deleted(t))):
            if stale.exists():
                shutil.rmtree(stale, ignore_errors=True)

    def prefetch(self, files: list[str]) -> None:
        """Start hard-linking ``files`` of output/ into the staging folder in a forked child,
        on the other core while this process loads and plans; :meth:`begin` takes it over.

        For a big site an incremental build's staging copy (11,000 links) then costs
        nothing on the critical path.  When the previous site was kept (:meth:`_retire`), the
        child stages in it and links only what differs (:meth:`_refresh`).  Without ``fork``
        nothing happens here.
        """
        if not hasattr(os, "fork") or self._child is not None:
            return
        self.recover()
        kept = self._take_spare()
        if not kept:
            self.dir.mkdir(parents=True)
        files = sorted(files)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            status = 1
            try:
                die_with(parent)  # a killed build must not leave a child writing into staging
                if kept:
                    self._refresh(files)
                else:
                    self._link_all(files)
                status = 0
            finally:
                os._exit(status)
        self._child = pid
        self._prefetched = files

    def _take_spare(self) -> bool:
        """Rename the kept previous site (see :meth:`_retire`) to the staging folder; False when there is
        none, or what is there is not a plain folder of ours on output/'s file system."""
        try:
            spare, here = os.lstat(self.spare), os.lstat(self.output)
        except OSError:
            return False
        if (not stat.S_ISDIR(spare.st_mode) or spare.st_dev != here.st_dev
                or (hasattr(os, "getuid") and spare.st_uid != os.getuid())):
            return False
        try:
            os.rename(self.spare, self.dir)
        except OSError:
            return False
        return True

    def _refresh(self, files: list[str]) -> None:
        """Make the staging folder, which holds a previous site, a hard-linked copy of ``files`` of
        output/: a file stays when it is the very file output/ has (the same inode: a hard link made
        by an earlier build), everything else is deleted or linked again.  Whatever was done to the
        folder since, its result is what linking every file into an empty folder gives."""
        top, out = str(self.dir), str(self.output)
        device = os.lstat(top).st_dev
        want = set(files)
        folders: list[str] = []
        have = _regular_files(top, device, want, folders)
        current = _regular_files(out, os.lstat(out).st_dev, want)
        for rel, inode in have.items():
            if current.get(rel) != inode:
                os.unlink(os.path.join(top, rel))  # replaced in output/ since: linked again below
        needed = {""}
        for rel in files:
            folder = rel.rpartition("/")[0]
            while folder not in needed:
                needed.add(folder)
                folder = folder.rpartition("/")[0]
        for folder in sorted(folders, key=lambda f: -f.count("/")):  # nothing of output/ is in it any more
            if folder not in needed:
                os.rmdir(os.path.join(top, folder))  # emptied above, its folders before it
        self._dirs.update(f for f in folders if f in needed)  # the folders that are there now
        # (a folder where a file must be is not needed, so it is gone; a file missing from output/ raises)
        self._link_all([rel for rel in files if rel not in have or have[rel] != current.get(rel)])

    def _wait_child(self) -> bool:
        pid, self._child = self._child, None
        if pid is None:
            return False
        try:
            _pid, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return False
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    def _link_all(self, files: list[str]) -> None:
        out = str(self.output)
        for rel in files:
            source = os.path.join(out, rel)
            target = self._target(rel)
            try:
                os.link(source, target)
            except OSError:
                try:
                    shutil.copy2(source, target)  # keeping its times: the listing before the build stays true
                except OSError as exc:
                    raise PublishError(f"cannot carry over {rel}: {exc}") from exc

    def begin(self, keep: list[str] | None = None) -> None:
        """Start an empty staging folder, or one holding hard links to the ``keep`` files of output/.

        Hard links make an incremental build's staging copy nearly free; every write
        below replaces a linked file with a new one, never writing through the link.
        """
        if self._prefetched is not None:
            prefetched, self._prefetched = self._prefetched, None
            if self._wait_child():
                wanted = set(keep or ())
                emptied: set[str] = set()
                for rel in prefetched:
                    if rel not in wanted:
                        try:
                            os.unlink(os.path.join(self.dir, rel))
                        except OSError:
                            pass
                        emptied.add(rel.rpartition("/")[0])
                self._dirs.update(rel.rpartition("/")[0] for rel in prefetched)
                for folder in sorted(emptied, key=lambda f: -f.count("/")):  # as a fresh clone would be
                    while folder:
                        try:
                            os.rmdir(os.path.join(self.dir, folder))
                        except OSError:
                            break
                        self._dirs.discard(folder)
                        folder = folder.rpartition("/")[0]
                self.cloned = bool(keep)
                self.carried = len(wanted)
                self._link_all(sorted(wanted.difference(prefetched)))
                return
        self.recover()
        self.dir.mkdir(parents=True)
        self.cloned = bool(keep)
        self.carried = len(keep or ())
        self._link_all(sorted(keep or ()))

    def _target(self, rel: str) -> str:
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in rel:
            raise PublishError(f"refusing to write outside the output folder: {rel!r}")
        parent = rel.rpartition("/")[0]
        if parent and parent not in self._dirs:
            os.makedirs(os.path.join(self.dir, parent), exist_ok=True)
            self._dirs.add(parent)
        return os.path.join(self.dir, rel)

    def _fresh(self, rel: str) -> str:
        target = self._target(rel)
        if self.cloned:
            try:
                os.unlink(target)  # never write through a hard link into the published tree
            except FileNotFoundError:
                pass
        return target

    def write(self, rel: str, data: bytes) -> None:
        with open(self._fresh(rel), "wb") as fh:
            fh.write(data)
        self.files += 1
        self.bytes += len(data)

    def copy(self, rel: str, source: Path) -> None:
        target = self._fresh(rel)
        shutil.copyfile(source, target)
        self.files += 1
        self.bytes += os.path.getsize(target)

    def abort(self) -> None:
        self._wait_child()
        if self.dir.is_dir():
            self._retire(self.dir)
        self._prefetched = None

    def commit(self) -> None:
        from .ownership import MARKER, MARKER_TEXT

        marker = self.dir / MARKER
        if not marker.is_file():  # the next build knows this folder is ours to replace
            marker.write_bytes(MARKER_TEXT)
        if not self.output.exists():
            os.replace(self.dir, self.output)
            return
        if os.path.ismount(self.output):
            self._sync_into_mount()
            return
        try:
            swapped = exchange(self.dir, self.output)
        except OSError as exc:
            if exc.errno != errno.EBUSY:  # EBUSY: a bind mount that ismount() cannot see
                raise
            self._sync_into_mount()
            return
        if swapped:
            self._retire(self.dir)  # now the previous site
            return
        # Two renames; a crash between them leaves only .old, which recover() puts back.
        os.replace(self.output, self.old)
        os.replace(self.dir, self.output)
        self._discard(self.old)

    def _retire(self, tree: Path) -> None:
        """The previous site swapped out (or a build's unfinished staging folder): a big one is kept as
        the spare the next build stages in (:meth:`_take_spare`), replacing an older spare."""
        if self.spare.is_dir() and not self.spare.is_symlink():
            self._discard(self.spare)  # an older one, left by a build that did not stage in it
        elif os.path.lexists(self.spare):
            os.unlink(self.spare)
        if max(self.carried, len(self._prefetched or ())) + self.files < SPARE_MIN or not hasattr(os, "fork"):
            self._discard(tree)
            return
        try:
            os.rename(tree, self.spare)
        except OSError:
            self._discard(tree)

    def _discard(self, tree: Path) -> None:
        """Delete the previous site; a big one in a detached process, so the build ends at once."""
        if self.carried + self.files < BACKGROUND_DELETE or not hasattr(os, "fork"):
            shutil.rmtree(tree, ignore_errors=True)
            return
        trash = self.parent / f".{self.output.name}.trash-{os.getpid()}-{time.time_ns():x}"
        held = None
        try:
            os.rename(tree, trash)
            held = _hold(trash)  # inherited by the deleter: the next build leaves this folder to it
            pid = os.fork()
        except OSError:
            if held is not None:
                os.close(held)
            shutil.rmtree(trash if trash.exists() else tree, ignore_errors=True)
            return
        if pid == 0:  # pragma: no cover - child: start the deleter and leave at once
            try:
                if os.fork() == 0:
                    os.setsid()
                    null = os.open(os.devnull, os.O_RDWR)
                    for fd in (0, 1, 2):
                        os.dup2(null, fd)
                    # e.g. the output lock: the next build must not wait for us (the folder's own lock stays)
                    os.closerange(3, held)
                    os.closerange(held + 1, 65536)
                    shutil.rmtree(trash, ignore_errors=True)
            finally:
                os._exit(0)
        os.close(held)
        os.waitpid(pid, 0)

    def _sync_into_mount(self) -> None:
        """``output/`` is a mount point: copy new files in, then delete what is gone.

        Each file is copied to a short temporary name (so a name that just fits the file
        system still fits while copying) and renamed over the old one.  If the sync stops
        half way (disk full, a name the mounted file system refuses), the error says that
        the output now mixes old and new files, which is the truth.
        """
        self.note = f"{self.output} 是挂载点，无法整体替换，已逐个文件同步（同步过程中网站可能短暂处于新旧混合状态）"
        new_files = set()
        started = False
        try:
            for dirpath, _dirs, files in os.walk(self.dir):
                for name in sorted(files):
                    src = Path(dirpath) / name
                    rel = src.relative_to(self.dir)
                    new_files.add(rel)
                    dst = self.output / rel
                    started = True
                    _make_dirs(self.output, dst.parent)
                    if dst.is_dir() and not dst.is_symlink():  # a folder in the old site is a file now
                        shutil.rmtree(dst)
                    tmp = dst.with_name(f".np-sync-{os.getpid()}.tmp")
                    try:
                        shutil.copyfile(src, tmp)
                        os.replace(tmp, dst)
                    except OSError:
                        _unlink_quietly(tmp)
                        raise
            for dirpath, dirs, files in os.walk(self.output, topdown=False):
                for name in files:
                    path = Path(dirpath) / name
                    if path.relative_to(self.output) not in new_files:
                        path.unlink()
                if Path(dirpath) != self.output and not os.listdir(dirpath):
                    os.rmdir(dirpath)
        except OSError as exc:
            if not started:
                raise
            raise PartialSync(self.output, exc) from exc
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PartialSync(PublishError):
    """Synchronising a mount-point output stopped half way: the output mixes old and new files."""

    def __init__(self, output: Path, cause: OSError):
        super().__init__(f"{output}: {cause}")
        self.output = output
        self.cause = cause


def _regular_files(top: str, device: int, wanted: set[str], folders: list[str] | None = None) -> dict[str, int]:
    """{path below ``top``: inode} of the regular files named in ``wanted``.  With ``folders`` (the
    staging folder, never output/) anything else that is not a folder is deleted on the way (a link, a
    file no longer wanted) and every folder is listed in ``folders``.  A folder on another file system
    raises PublishError (inodes would not compare)."""
    found: dict[str, int] = {}
    prune = folders is not None
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(top, rel_dir) if rel_dir else top) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.stat(follow_symlinks=False).st_dev != device:
                        raise PublishError(f"{entry.path} is another file system")
                    stack.append(rel)
                    if prune:
                        folders.append(rel)
                elif rel in wanted and entry.is_file(follow_symlinks=False):
                    found[rel] = entry.inode()
                elif prune:
                    os.unlink(entry.path)
    return found


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class OutputCheck:
    """output/ compared with the last build's record of it (``manifest.written``), in a forked child
    while this process loads the site: at 100,000 notices walking ~115,000 files, sending the listing
    back and comparing it took ~0.4 s of this process.  Only the answer travels back: the recorded
    files changed or removed since (:func:`cache.damaged_files`), and whether the folder is exactly
    the recorded one (:func:`cache.restored`: a CI cache restored elsewhere).  Without ``fork``, or
    when the child fails, the check is made here when asked for."""

    def __init__(self, output: Path, manifest) -> None:
        self.output, self.manifest = output, manifest
        self._answer: tuple | None = None
        self._child: ForkedResult | None = None
        if not manifest.written:
            self._answer = (False, None)  # no record to compare with
        elif output.is_dir():
            # At the lowest priority: a build with edits needs the answer only once the site is loaded
            # (pipeline._verify_output), so the child takes the cycles loading leaves; a build with
            # nothing to do waits for it with nothing else running.
            self._child = ForkedResult(self._check, nice=19)

    def _check(self) -> tuple[bool, list[str] | None]:
        from .cache import damaged_files, restored, written_files  # here: the child only walks and compares

        found = written_files(self.output)
        return restored(self.manifest, self.output, lambda: found), damaged_files(self.output, self.manifest, found)

    def _result(self) -> tuple[bool, list[str] | None]:
        if self._answer is None:
            child, self._child = self._child, None
            answer = child.result() if child is not None else None
            if not (type(answer) is tuple and len(answer) == 2 and type(answer[0]) is bool
                    and (answer[1] is None or type(answer[1]) is list)):
                answer = self._check()
            self._answer = answer
        return self._answer

    def restored(self) -> bool:
        """Whether output/ is file for file (path, size, mtime) what the record describes."""
        return self._result()[0]

    def damaged(self) -> list[str] | None:
        """The recorded pages and files changed or removed since, sorted; None: no record to compare."""
        return self._result()[1]

    def close(self) -> None:
        """Stop the child if the answer was never asked for."""
        child, self._child = self._child, None
        if child is not None:
            child.close()


def _make_dirs(root: Path, folder: Path) -> None:
    """mkdir -p below ``root``, replacing files of the old site that stand where a folder must be."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            current.unlink()
        if not current.exists():
            current.mkdir()
