"""tools/demo.py end to end on synthetic Fashion-MNIST-format files."""
import json
import sys

from conftest import REPO, run_tool


def test_demo_runs_every_step_and_reports(tmp_path, fake_fashion_mnist):
    work_dir = tmp_path / 'demo'
    proc = run_tool([
        sys.executable, str(REPO / 'tools' / 'demo.py'), '--work-dir',
        str(work_dir), '--data-root', str(fake_fashion_mnist)
    ], timeout=900)
    results = json.loads((work_dir / 'results.json').read_text())
    assert set(results) == {'teacher', 'slimmable', 'student', 'kd', 'pwkd'}
    for run in ('student', 'kd', 'pwkd'):
        assert [r['step'] for r in results[run]] == [1, 2, 3, 4]
    # PWKD's validation scores the teacher at each stage's width.
    assert [r['teacher/width'] for r in results['pwkd']] == [
        0.25, 0.5, 0.75, 1.0
    ]
    assert all('teacher/top1' in r for r in results['pwkd'])
    table = (work_dir / 'results.md').read_text()
    assert 'slimmable teacher, width 0.25' in table
    assert 'student, PWKD + KD' in table and table in proc.stdout
    assert (work_dir / 'pwkd_vs_kd.png').stat().st_size > 10_000

    # A second run reuses the cached teachers.
    again = run_tool([
        sys.executable, str(REPO / 'tools' / 'demo.py'), '--work-dir',
        str(work_dir), '--data-root', str(fake_fashion_mnist),
        '--skip-student-alone'
    ], timeout=900)
    assert 'reusing the teacher' in again.stdout
    assert 'reusing the slimmable teacher' in again.stdout
