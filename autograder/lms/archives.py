"""Read a download folder and the archives in it, without trusting either.

Nothing is ever extracted to disk: archive members are read into memory, so a member
named ``../x`` or ``/etc/passwd`` cannot write anywhere. Such names are still refused
(with the reason) because no LMS produces them. Links are never followed: a symbolic
link in the folder, a symlink or hard link inside a tar file, or a zip entry marked as
a symlink is refused. Every read is capped - the size a member declares and the bytes
it really inflates to, the members of an archive, the bytes one download entry may
expand to, and the nesting depth - so a zip bomb stops at the cap, with a message.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.lms.text import nfc

MiB = 2**20
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
SKIPPED_NAMES = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db"}


@dataclass(frozen=True)
class Limits:
    """Caps on what one download entry may make us read."""

    file_bytes: int = 100 * MiB  # one wanted file (a notebook larger than this is not one)
    total_bytes: int = 1024 * MiB  # everything read out of one top-level entry
    members: int = 20_000  # members of one archive
    depth: int = 4  # archives inside archives


@dataclass(frozen=True)
class Leaf:
    """One file found, with its path from the download folder through any archives.

    ``parts`` are the path components, outermost first: a member ``b/c.ipynb`` of
    ``a.zip`` is ``("a.zip", "b", "c.ipynb")``.
    """

    parts: tuple[str, ...]
    data: bytes = field(repr=False)
    archive_levels: tuple[int, ...] = ()  # indexes of parts that are archives

    @property
    def origin(self) -> str:
        return label(self.parts, self.archive_levels)


@dataclass
class Findings:
    """What walking the download folder found."""

    leaves: list[Leaf] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (origin, reason)
    ignored: list[str] = field(default_factory=list)


def label(parts: tuple[str, ...], archive_levels: tuple[int, ...] = ()) -> str:
    """``a.zip:b/c.ipynb`` - a colon after each archive, a slash inside folders."""
    out = ""
    for i, part in enumerate(parts):
        out += part
        if i < len(parts) - 1:
            out += ":" if i in archive_levels else "/"
    return out


def is_archive(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(ZIP_SUFFIXES + TAR_SUFFIXES)


def skipped_name(name: str) -> bool:
    return name in SKIPPED_NAMES or name.startswith(".")


class _Budget:
    """Bytes and nesting left for one top-level entry."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.total_bytes

    def take(self, n: int) -> bool:
        self.left -= n
        return self.left >= 0


def walk(folder: Path, wanted: Callable[[str], bool], limits: Limits | None = None) -> Findings:
    """Every wanted file under ``folder``, opening archives (nested too) on the way.

    Parameters
    ----------
    folder : Path
        The download folder.
    wanted : callable
        ``wanted(file_name) -> bool``: files to read (the notebooks); others are listed
        in :attr:`Findings.ignored` unread.
    limits : Limits, optional
        The caps; defaults to :class:`Limits()`.
    """
    limits = limits or Limits()
    found = Findings()
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        rel = base.relative_to(folder).parts
        for name in sorted(dirs):
            if (base / name).is_symlink():
                found.refused.append((label((*rel, nfc(name))), "symbolic link, not followed"))
        dirs[:] = sorted(d for d in dirs if not skipped_name(d) and not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            parts = (*(nfc(p) for p in rel), nfc(name))
            if skipped_name(name):
                continue
            if path.is_symlink():
                found.refused.append((label(parts), "symbolic link, not followed"))
            elif not path.is_file():
                found.refused.append((label(parts), "not a regular file"))
            elif is_archive(name):
                budget = _Budget(limits)
                size = path.stat().st_size
                if not budget.take(size):
                    found.refused.append((label(parts), f"archive larger than "
                                          f"{_human(limits.total_bytes)}"))
                    continue
                with path.open("rb") as fh:
                    _archive(fh, parts, (len(parts) - 1,), budget, wanted, found)
            elif wanted(name):
                if path.stat().st_size > limits.file_bytes:
                    found.refused.append((label(parts), f"larger than "
                                          f"{_human(limits.file_bytes)}"))
                else:
                    found.leaves.append(Leaf(parts, path.read_bytes()))
            else:
                found.ignored.append(label(parts))
    return found


def _member_parts(name: str) -> tuple[str, ...] | str:
    """The path components of an archive member, or the reason it is refused."""
    if "\x00" in name:
        return "name holds a NUL byte"
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return "absolute path in the archive"
    parts = tuple(nfc(p) for p in PurePosixPath(unified).parts if p not in ("", "."))
    if ".." in parts:
        return "path leaves the archive ('..')"
    return parts


@dataclass
class _Member:
    name: str
    size: int
    kind: str  # "file", "dir", or a refusal reason
    read: Callable[[int], bytes]
    streamed: bool = False  # a tar member: passing over it decompresses it, read or not


def _zip_members(fh) -> Iterator[_Member]:
    with zipfile.ZipFile(fh) as archive:
        for info in archive.infolist():
            name = info.filename
            if not info.flag_bits & 0x800:  # not flagged UTF-8: often UTF-8 anyway (macOS)
                try:
                    name = name.encode("cp437").decode("utf-8")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    pass
            mode = info.external_attr >> 16
            if info.is_dir():
                kind = "dir"
            elif stat.S_ISLNK(mode):
                kind = "symbolic link, not followed"
            else:
                kind = "file"

            def read(cap: int, info=info) -> bytes:
                with archive.open(info) as member:
                    return member.read(cap + 1)

            yield _Member(name, info.file_size, kind, read)


def _tar_members(fh) -> Iterator[_Member]:
    with tarfile.open(fileobj=fh, mode="r:*") as archive:
        for info in archive:
            if info.isdir():
                kind = "dir"
            elif info.issym() or info.islnk():
                kind = "link, not followed"
            elif not info.isreg():
                kind = "not a regular file (device or pipe)"
            else:
                kind = "file"

            def read(cap: int, info=info) -> bytes:
                member = archive.extractfile(info)
                return member.read(cap + 1) if member else b""

            yield _Member(info.name, info.size, kind, read, streamed=True)


def _archive(fh, parts: tuple[str, ...], levels: tuple[int, ...], budget: _Budget,
             wanted: Callable[[str], bool], found: Findings) -> None:
    """Read one archive (a file object) whose path is ``parts``."""
    limits = budget.limits
    here = label(parts, levels)
    members = _zip_members(fh) if parts[-1].lower().endswith(ZIP_SUFFIXES) else _tar_members(fh)
    try:
        for count, member in enumerate(members, start=1):
            if count > limits.members:
                found.refused.append((here, f"more than {limits.members} members; "
                                      "the rest was not read"))
                return
            if member.streamed and member.kind == "file" and not budget.take(member.size):
                found.refused.append((f"{here}:{member.name}", "the archive holds more than "
                                      f"{_human(limits.total_bytes)}; the rest was not read"))
                return
            inner = _member_parts(member.name)
            if isinstance(inner, str):
                found.refused.append((f"{here}:{member.name}", inner))
                continue
            if not inner or member.kind == "dir" or any(skipped_name(p) for p in inner):
                continue
            full = (*parts, *inner)
            where = label(full, levels)
            if member.kind != "file":
                found.refused.append((where, member.kind))
                continue
            nested = is_archive(inner[-1])
            if not nested and not wanted(inner[-1]):
                found.ignored.append(where)
                continue
            room = budget.left + (member.size if member.streamed else 0)  # tar: charged
            cap = room if nested else min(limits.file_bytes, room)
            if member.size > cap:
                found.refused.append((where, _too_big(member.size, limits, nested)))
                continue
            try:
                data = member.read(cap)
            except (RuntimeError, zipfile.BadZipFile, tarfile.TarError, OSError,
                    EOFError) as err:  # RuntimeError: an encrypted zip member
                found.refused.append((where, f"cannot be read: {err}"))
                continue
            if len(data) > cap or not (member.streamed or budget.take(len(data))):
                found.refused.append((where, "inflates beyond its declared size or the "
                                      f"{_human(limits.total_bytes)} read limit"))
                return
            if not nested:
                found.leaves.append(Leaf(full, data, levels))
            elif len(levels) >= limits.depth:
                found.refused.append((where, f"archives nested more than {limits.depth} deep"))
            else:
                _archive(io.BytesIO(data), full, (*levels, len(full) - 1), budget, wanted,
                         found)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as err:
        found.refused.append((here, f"cannot be read as an archive: {err}"))


def _human(n: int) -> str:
    return f"{n / MiB:g} MiB" if n >= MiB else f"{n} bytes"


def _too_big(size: int, limits: Limits, nested: bool) -> str:
    if nested:
        return f"nested archive of {_human(size)} exceeds the read limit"
    return f"larger than {_human(limits.file_bytes)} ({size} bytes declared)"
