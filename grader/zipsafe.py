"""Reading a hostile zip safely: the primitives :mod:`grader.collect` is built on.

Every entry of a zip from students is suspect. :func:`unsafe_entry` refuses an entry by
what it is (an absolute path, a drive letter, a ``..`` component or a NUL byte in its name,
a symbolic link, a directory or any other special file by the file-type bits of its external
attributes, an encrypted entry); :func:`unsafe_name` refuses a student id or notebook name
that is not a safe file name; :func:`entries_claimed` reads the entry count before
``zipfile`` builds an object per entry; :func:`stream_entry` decompresses one entry itself,
measuring sizes as it goes (headers are not trusted) against :class:`Limits`, and refuses
nested archives by their content (:data:`ARCHIVE_MAGIC`; by name: :data:`ARCHIVE_SUFFIXES`).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

#: Name endings of archives that are refused, not opened.
ARCHIVE_SUFFIXES = (
    ".zip", ".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst",
    ".lz", ".lzma", ".7z", ".rar", ".jar", ".cab", ".z",
)  # fmt: skip
#: Leading bytes of archive formats (zip local/empty/spanned, gzip, bzip2, xz, 7z, rar, zstd).
ARCHIVE_MAGIC = (
    b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x28\xb5\x2f\xfd",
)  # fmt: skip
CHUNK = 64 * 1024
UNSAFE_CHARS = set("/\\*?[]")
FILE_TYPES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@dataclass(frozen=True)
class Limits:
    """Bounds on what one zip may make us decompress and write."""

    max_file: int = 64 * 2**20  #: bytes of one decompressed file
    max_total: int = 1024 * 2**20  #: bytes of all decompressed files together
    max_ratio: float = 200.0  #: decompressed / compressed bytes, checked past ``ratio_after``
    ratio_after: int = 2**20  #: small files may compress very well
    max_entries: int = 20_000  #: entries in the zip's central directory


class CollectAborted(Exception):
    """The zip as a whole is refused (not a zip, too many entries, too big): nothing is
    written to ``submitted/``."""


def unsafe_name(name: str) -> str | None:
    """Why ``name`` cannot be a file or folder name under ``submitted/``, or ``None``."""
    if not name:
        return "is empty"
    if name in (".", ".."):
        return f"is {name!r}"
    bad = sorted(UNSAFE_CHARS & set(name))
    if bad:
        return f"contains {''.join(bad)!r}"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "contains a control character"
    if name != name.strip():
        return "starts or ends with white space"
    if name.startswith("-"):
        return "starts with '-'"
    if len(name.encode("utf-8", "surrogateescape")) > 255:
        return "is longer than 255 bytes"
    return None


def unsafe_entry(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry is refused whatever its name says, or ``None``."""
    name = info.filename.replace("\\", "/")
    if "\x00" in info.filename:
        return "a NUL byte in the entry's name"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    if ".." in name.split("/"):
        return "a '..' in the path"
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind and kind != stat.S_IFREG:
        return FILE_TYPES.get(kind, f"a special file (type {kind:o})")
    if info.external_attr & 0x10:  # MS-DOS directory attribute
        return "a directory"
    if info.flag_bits & 0x1:
        return "encrypted"
    return None


class CountingFile:
    """The zip file, counting the bytes zipfile reads from it (the compressed input)."""

    def __init__(self, fh):
        self._fh = fh
        self.read_bytes = 0

    def read(self, n=-1):
        data = self._fh.read(n)
        self.read_bytes += len(data)
        return data

    def seek(self, *args):
        return self._fh.seek(*args)

    def tell(self):
        return self._fh.tell()

    def seekable(self):
        return True


def entries_claimed(fh) -> int:
    """The entry count in the end-of-central-directory record, read before zipfile builds a
    ``ZipInfo`` for each entry (a crafted count would cost memory)."""
    end = zipfile._EndRecData(fh)
    if end is None:
        raise CollectAborted("not a zip file")
    return end[zipfile._ECD_ENTRIES_TOTAL]


def stream_entry(zf, info, counter, dest: Path, limits: Limits, budget: list[int]) -> str | None:
    """Decompress one entry to ``dest`` (mode 0644), measuring as it goes; the reason it is
    refused, or ``None``. ``budget[0]`` is what is left of the total."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    os.fchmod(fd, 0o644)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            with zf.open(info) as src:
                start = counter.read_bytes
                first = True
                while True:
                    chunk = src.read(CHUNK)
                    if not chunk:
                        return None
                    if first and chunk.startswith(ARCHIVE_MAGIC):
                        return "a nested archive (not extracted)"
                    first = False
                    written += len(chunk)
                    budget[0] -= len(chunk)
                    if budget[0] < 0:
                        raise CollectAborted(
                            f"the zip decompresses to more than {limits.max_total} bytes"
                        )
                    if written > limits.max_file:
                        return f"larger than {limits.max_file} bytes when decompressed"
                    packed = max(counter.read_bytes - start, 1)
                    if written > limits.ratio_after and written / packed > limits.max_ratio:
                        return f"expands more than {limits.max_ratio:g} times (a compression bomb?)"
                    out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        return f"corrupt ({exc})"
    except NotImplementedError as exc:
        return f"cannot be decompressed ({exc})"
    except RuntimeError as exc:  # encrypted
        return f"cannot be read ({exc})"
