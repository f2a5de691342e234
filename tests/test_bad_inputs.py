"""Every bad input of the corpus (tests/bad/) ends in one line on stderr starting `error:`, exit
code 2, no traceback, and leaves every file as it was."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import pytest

from wafersim.catalog.loader import BUILTIN_DIR
from wafersim.models.registry import DATA_DIR

BAD = Path(__file__).parent / "bad"
WATCHED = (BUILTIN_DIR, DATA_DIR, BAD / "files")


def _cases() -> list[pytest.param]:
    cases = []
    for path in sorted(BAD.glob("args_*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line.split("  #")[0].strip()
            if text and not text.startswith("#"):
                cases.append(pytest.param(text, id=f"{path.stem}:{number}"))
    return cases


def _state(folders: tuple[Path, ...]) -> str:
    """Every file's path, size, inode and modification time: a write, a rename into place or a
    new file changes it (cheaper than hashing the contents for every case)."""
    digest = hashlib.sha256()
    for folder in folders:
        for f in sorted(folder.rglob("*")):
            st = f.stat()
            digest.update(f"{f}|{st.st_size}|{st.st_ino}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def test_the_corpus_is_large_enough():
    assert len(_cases()) >= 200


@pytest.mark.parametrize("line", _cases())
def test_bad_input_is_one_line_exit_2(cli, tmp_path, line):
    argv = shlex.split(line.replace("{files}", str(BAD / "files")).replace("{tmp}", str(tmp_path)))
    before = _state((*WATCHED, tmp_path))
    run = cli(*argv)
    assert run.code == 2, f"exit {run.code}: {run.out[-300:]}{run.err[-300:]}"
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), run.err
    assert "Traceback" not in run.err + run.out
    assert _state((*WATCHED, tmp_path)) == before, "a file changed"
