"""Mistyped paths given to the tools stop with a usage error naming the
argument and the value, before anything is built."""
import subprocess

import pytest

from conftest import REPO, python_tool

CONFIG = 'tests/data/tiny_cls.py'


@pytest.mark.parametrize('tool, args, argument', [
    ('tools/train.py', ['missing.py'], 'config'),
    ('tools/train.py', [CONFIG, '--resume', 'missing.pth'], '--resume'),
    ('tools/test.py', ['missing.py', 'x.pth'], 'config'),
    ('tools/test.py', [CONFIG, 'missing.pth'], 'checkpoint'),
])
def test_missing_files_are_usage_errors(tool, args, argument):
    proc = subprocess.run(python_tool(tool, *args), cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    missing = next(arg for arg in args if arg.startswith('missing'))
    assert (f'error: argument {argument}: no such file: {missing!r}'
            in proc.stderr)
    assert 'Traceback' not in proc.stderr


def test_urls_and_package_paths_pass_the_check():
    from mmpwkd.utils.cli import existing_file
    for value in ('https://example.org/a.pth', 'mmpretrain::resnet/x.py',
                  str(REPO / CONFIG)):
        assert existing_file(value) == value
