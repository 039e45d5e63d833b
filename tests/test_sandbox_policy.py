"""The sandbox's policy and the zip checks, as plain functions: no root, no kernel, no database.

What a kernel may not see (``grader.sandbox``: ``hidden_paths``, ``reveal_map``,
``sensitive_paths``, ``policy_for``), the zip entries and names ``grader.collect`` refuses
(``grader.zipsafe``), and how a mime bundle is fitted into the output cap
(``grader.caps.cap_bundle``). The sandbox itself is exercised by ``tests/adversarial/``.
"""

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory

from grader import sandbox, zipsafe
from grader.caps import cap_bundle, size_of
from grader.collect import unsafe_name

STEPS = ("source", "release", "submitted", "autograded", "feedback", "solution")


def _tree(root: Path, *files: str) -> None:
    for f in files:
        p = root / f
        if f.endswith("/"):
            p.mkdir(parents=True, exist_ok=True)
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("x")


# --- hidden_paths ---------------------------------------------------------------------------


def test_a_kept_path_under_a_hidden_folder_is_revealed_and_its_siblings_hidden(tmp_path):
    _tree(tmp_path, "repo/solutions/a.ipynb", "repo/.venv/lib/x.py", "repo/src/vanishing/nn.py",
          "repo/src/other/y.py", "repo/README.md")  # fmt: skip
    repo = tmp_path / "repo"
    keep = [str(repo / ".venv"), str(repo / "src" / "vanishing")]
    assert sandbox.hidden_paths([str(repo)], keep) == [
        str(repo / "README.md"),
        str(repo / "solutions"),
        str(repo / "src" / "other"),
    ]


def test_a_sensitive_folder_without_kept_paths_is_covered_whole(tmp_path):
    _tree(tmp_path, "course/gradebook.db", "course/submitted/ada/a.ipynb")
    course = str(tmp_path / "course")
    assert sandbox.hidden_paths([course], [str(tmp_path / "elsewhere")]) == [course]


def test_nested_duplicate_and_missing_sensitive_paths(tmp_path):
    _tree(tmp_path, "course/submitted/ada/a.ipynb")
    course = tmp_path / "course"
    sensitive = [str(course / "submitted"), str(course), str(course), str(tmp_path / "gone")]
    # the inner path is covered by the outer one; a missing path is not covered at all
    assert sandbox.hidden_paths(sensitive, []) == [str(course)]
    # a sensitive path that is itself kept hides nothing
    assert sandbox.hidden_paths([str(course)], [str(course)]) == []


# --- reveal_map -----------------------------------------------------------------------------


@pytest.fixture
def open_dir():
    base = Path(tempfile.mkdtemp(prefix="vg-policy-test-"))
    os.chmod(base, 0o755)  # others may enter: only the folders made below block them
    yield base
    shutil.rmtree(base)


def test_reveal_map_names_the_first_closed_folder_above_each_needed_path(open_dir):
    _tree(open_dir, "root/.pyenv/lib/", "root/.pyenv/bin/", "usr/lib/", "home/x/deep/y/")
    os.chmod(open_dir / "root", 0o700)
    os.chmod(open_dir / "home" / "x", 0o750)  # no execute bit for others
    os.chmod(open_dir / "home" / "x" / "deep", 0o700)  # closed too, but below a closed one
    lib, bin_ = open_dir / "root/.pyenv/lib", open_dir / "root/.pyenv/bin"
    needed = [
        str(lib),
        str(bin_),
        str(lib),
        str(open_dir / "usr/lib"),
        str(open_dir / "home/x/deep/y"),
    ]
    assert sandbox.reveal_map(needed) == {
        str(open_dir / "root"): [str(lib), str(bin_)],
        str(open_dir / "home" / "x"): [str(open_dir / "home/x/deep/y")],
    }


def test_reveal_map_is_empty_when_everything_is_reachable(open_dir):
    _tree(open_dir, "usr/lib/")
    assert sandbox.reveal_map([str(open_dir / "usr" / "lib")]) == {}


# --- sensitive_paths ------------------------------------------------------------------------


def _course(root: Path, db_url: str) -> CourseDirectory:
    return CourseDirectory(root=str(root), db_url=db_url)


def test_sensitive_paths_of_a_course_with_a_sqlite_gradebook(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    gradebook = tmp_path / "books" / "gradebook.db"
    got = sandbox.sensitive_paths(_course(root, f"sqlite:///{gradebook}"))
    assert got == [
        sandbox.REPOSITORY,
        root,
        *(root / s for s in STEPS),
        root,  # beside autograded/: the ledger and the staging folder
        tmp_path / "books",
        Path("/run"),
        Path("/tmp/.X11-unix"),
    ]


@pytest.mark.parametrize(
    "url, sockets",
    [
        ("postgresql://grader@/gradebook?host=/var/run/postgresql", ["/var/run/postgresql"]),
        ("postgresql:///gb?host=/srv/pg&host=/opt/sock", ["/srv/pg", "/opt/sock"]),
        ("postgresql://grader:secret@db.example.org:5432/gradebook", []),  # TCP: no socket
        ("postgresql://grader@localhost/gradebook?host=relative", []),
    ],
)
def test_sensitive_paths_of_a_postgresql_gradebook_hide_its_socket_folder(tmp_path, url, sockets):
    got = sandbox.sensitive_paths(_course(tmp_path, url))
    assert got == [
        sandbox.REPOSITORY,
        tmp_path,
        *(tmp_path / s for s in STEPS),
        tmp_path,
        Path("/run"),
        Path("/tmp/.X11-unix"),
        *(Path(s) for s in sockets),
    ]


# --- policy_for -----------------------------------------------------------------------------


def test_policy_for_takes_a_slot_once_and_hides_the_course(tmp_path, monkeypatch):
    root = tmp_path / "course"
    (root / "submitted" / "ada").mkdir(parents=True)
    cd = _course(root, f"sqlite:///{root / 'gradebook.db'}")
    slots, users = [], []
    monkeypatch.setattr(sandbox, "acquire_slot", lambda: slots.append(7) or 7)
    monkeypatch.setattr(
        sandbox, "ensure_user", lambda slot, role="student": users.append((slot, role)) or (
            (5000 + slot, 6000) if role == "student" else (5100 + slot, 6100)
        )
    )  # fmt: skip
    pol = sandbox.policy_for(cd, sandbox.Limits(processes=9))
    try:
        assert sandbox.policy_for(cd) is pol  # once per process and course
        assert (pol.slot, pol.uid, pol.gid) == (7, 5007, 6000) and slots == [7]
        assert pol.test_user() == (5107, 6100) and pol.test_user() == (5107, 6100)
        assert users == [(7, "student"), (7, "test")]
        assert str(root.resolve()) in pol.hide
        repo = sandbox.REPOSITORY
        assert str(repo / "solutions") in pol.hide and str(repo / "grader") in pol.hide
        assert str(repo) not in pol.hide and str(repo / ".venv") not in pol.hide
        assert stat.S_IMODE(os.stat(pol.base).st_mode) == 0o711
        assert pol.limits.rlimits() == {
            "as": 2 * 1024**3, "nproc": 9, "cpu": 600, "fsize": 64 * 1024**2,
            "nofile": 1024, "core": 0,
        }  # fmt: skip
    finally:
        sandbox.release_policy(cd)
    assert not os.path.exists(pol.base)
    # gone: the next call works the policy out again
    monkeypatch.setattr(sandbox, "prepare", lambda *a: (_ for _ in ()).throw(LookupError("new")))
    with pytest.raises(LookupError, match="new"):
        sandbox.policy_for(cd)


def test_the_configured_execute_step_is_the_sandboxed_one():
    from traitlets.utils.importstring import import_item

    from grader.course import course_config
    from grader.sandbox_kernel import GradingExecute

    steps = course_config().Autograde.autograde_preprocessors
    assert [import_item(s) for s in steps].count(GradingExecute) == 1, steps


# --- the zip checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, why",
    [
        ("ada", None),
        ("00_backprop_refresher.ipynb", None),
        ("", "is empty"),
        (".", "is '.'"),
        ("..", "is '..'"),
        ("a/b", "contains '/'"),
        ("a?b*", "contains '*?'"),
        ("back\\slash", "contains '\\\\'"),
        ("bell\x07", "contains a control character"),
        ("zero\u200bwidth", "contains a control character"),
        (" ada", "starts or ends with white space"),
        ("-rf", "starts with '-'"),
        ("é" * 127 + "x", None),  # 255 bytes
        ("é" * 128, "is longer than 255 bytes"),
    ],
)
def test_unsafe_name(name, why):
    assert unsafe_name(name) == why


def _info(name: str, mode: int = 0o100644, external: int = 0, flags: int = 0) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # ZipInfo() itself cuts a name at its NUL byte
    info.external_attr = (mode << 16) | external
    info.flag_bits = flags
    return info


@pytest.mark.parametrize(
    "info, why",
    [
        (_info("ada_nb.ipynb"), None),
        (_info("folder/ada_nb.ipynb", mode=0), None),  # no Unix mode at all (a Windows zip)
        (_info("ada_nb.ipynb\x00.txt"), "a NUL byte in the entry's name"),
        (_info("/etc/passwd"), "an absolute path"),
        (_info("C:evil.ipynb"), "an absolute path"),
        (_info("a/../../b.ipynb"), "a '..' in the path"),
        (_info("a\\..\\b.ipynb"), "a '..' in the path"),
        (_info("link.ipynb", mode=stat.S_IFLNK | 0o777), "a symbolic link"),
        (_info("d.ipynb", mode=stat.S_IFDIR | 0o755), "a directory"),
        (_info("f.ipynb", mode=stat.S_IFIFO | 0o644), "a FIFO"),
        (_info("s.ipynb", mode=stat.S_IFSOCK | 0o644), "a socket"),
        (_info("w.ipynb", mode=0o150000), "a special file (type 150000)"),
        (_info("dos.ipynb", mode=0, external=0x10), "a directory"),
        (_info("locked.ipynb", flags=0x1), "encrypted"),
    ],
)
def test_unsafe_entry(info, why):
    assert zipsafe.unsafe_entry(info) == why


def test_an_entry_is_measured_while_it_is_decompressed(tmp_path):
    archive = tmp_path / "z.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok.ipynb", b"{}" * 100)
        zf.writestr("bomb.ipynb", b"\0" * (3 * 2**20))
        zf.writestr("inner.ipynb", b"PK\x03\x04" + b"x" * 10)
    limits = zipsafe.Limits(max_ratio=50.0, ratio_after=2**20)
    with open(archive, "rb") as fh:
        assert zipsafe.entries_claimed(fh) == 3
        fh.seek(0)
        counter = zipsafe.CountingFile(fh)
        with zipfile.ZipFile(counter) as zf:
            budget = [limits.max_total]
            got = {
                i.filename: zipsafe.stream_entry(
                    zf, i, counter, tmp_path / i.filename, limits, budget
                )
                for i in zf.infolist()
            }
    assert got == {
        "ok.ipynb": None,
        "bomb.ipynb": "expands more than 50 times (a compression bomb?)",
        "inner.ipynb": "a nested archive (not extracted)",
    }
    assert (tmp_path / "ok.ipynb").read_bytes() == b"{}" * 100
    assert stat.S_IMODE(os.stat(tmp_path / "ok.ipynb").st_mode) == 0o644


# --- the output cap's bundles ---------------------------------------------------------------


def test_cap_bundle_keeps_text_first_cuts_text_and_drops_images_whole():
    bundle = {"image/png": "A" * 500, "text/html": "<b>" + "h" * 300, "text/plain": "p" * 100}
    assert cap_bundle(bundle, 10**6) == (bundle, 0)
    kept, dropped = cap_bundle(bundle, 300)
    # text/plain whole (110 bytes), text/html cut to the 190 bytes left, the image dropped
    assert kept == {"text/plain": "p" * 100, "text/html": ("<b>" + "h" * 300)[: 190 - 9]}
    assert dropped == (303 - 181) + size_of("image/png") + 500
    assert cap_bundle(bundle, 50) == ({}, size_of(bundle))  # no room for a cut above 64 bytes
