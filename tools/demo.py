"""The built-in real-data demo: PWKD against plain KD on Fashion-MNIST.

Every step is an ordinary ``tools/train.py`` run of a config in
``configs/demo/`` (the commands are printed, so each can be copied):

1. teacher: a resnet20 trained on 20k images (cached in the work dir);
2. slimmable teacher: the same network rebuilt with widths
   0.25/0.5/0.75/1.0 and fine-tuned jointly (cached);
3. the resnet8 student alone, on a 10k-image subset;
4. the student distilled with vanilla KD (one stage at width 1.0);
5. the student distilled with PWKD (four stages, narrowest teacher first).

Then it prints a table and plots the students' test accuracy per epoch.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from mmengine.config import Config

from mmpwkd.datasets.fashion_mnist_idx import (DEFAULT_DATA_ROOT,
                                               FashionMNISTIDX)

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs' / 'demo'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
STUDENT_RUNS = ('student', 'kd', 'pwkd')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where runs, table and plot go')
    parser.add_argument('--data-root', default=DEFAULT_DATA_ROOT,
                        help='folder with the four Fashion-MNIST .gz files')
    parser.add_argument('--retrain-teacher', action='store_true',
                        help='train the teachers even if cached')
    parser.add_argument('--skip-student-alone', action='store_true',
                        help='do not train the student without a teacher')
    return parser.parse_args()


def last_checkpoint(work_dir: Path) -> Optional[Path]:
    """The checkpoint named by mmengine's ``last_checkpoint`` file."""
    pointer = work_dir / 'last_checkpoint'
    if not pointer.exists():
        return None
    path = Path(pointer.read_text().strip())
    return path if path.exists() else None


def train(config: str, work_dir: Path, options: List[str]) -> Path:
    """Run tools/train.py and return the run's last checkpoint."""
    cmd = [sys.executable, 'tools/train.py', str(CONFIGS / config),
           '--work-dir', str(work_dir), '--cfg-options', *options]
    print(f'\n==> {" ".join(cmd)}\n', flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    checkpoint = last_checkpoint(work_dir)
    if checkpoint is None:
        raise RuntimeError(f'{work_dir} holds no checkpoint after training')
    return checkpoint


def val_history(work_dir: Path) -> List[Dict[str, float]]:
    """Validation records of the newest run in ``work_dir``."""
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in logs[-1].read_text().split('\n')
               if line.strip()]
    return [r for r in records if 'accuracy/top1' in r]


def teacher_steps(args: argparse.Namespace, root: Path,
                  data: List[str]) -> Path:
    """Train (or reuse) the teacher and the slimmable teacher."""
    teacher = last_checkpoint(root / 'teacher')
    if teacher is None or args.retrain_teacher:
        teacher = train('teacher_resnet20_fmnist.py', root / 'teacher', data)
    else:
        print(f'==> reusing the teacher {teacher}')
    slimmable = last_checkpoint(root / 'slimmable')
    if slimmable is None or args.retrain_teacher:
        slimmable = train('slimmable_resnet20_fmnist.py', root / 'slimmable',
                          [*data, f'load_from={teacher}'])
    else:
        print(f'==> reusing the slimmable teacher {slimmable}')
    return slimmable


def report(root: Path, runs: Dict[str, List[Dict[str, float]]]) -> str:
    """A markdown table of the final accuracies."""
    teacher = runs['teacher'][-1]['accuracy/top1']
    widths = runs['slimmable'][-1]
    lines = ['| model | test top-1 (%) |', '|---|---|',
             f'| teacher resnet20 | {teacher:.2f} |']
    lines += [f'| slimmable teacher, width {key.split("_w")[1]} | '
              f'{value:.2f} |' for key, value in widths.items()
              if key.startswith('accuracy/top1_w')]
    names = dict(student='student resnet8 alone', kd='student, KD',
                 pwkd='student, PWKD + KD')
    lines += [f'| {names[run]} | {runs[run][-1]["accuracy/top1"]:.2f} |'
              for run in STUDENT_RUNS if run in runs]
    return '\n'.join(lines)


def plot(path: Path, runs: Dict[str, List[Dict[str, float]]],
         stage_widths: List[float]) -> None:
    """Student test accuracy per epoch, PWKD's stages marked."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = dict(student='student alone', kd='KD', pwkd='PWKD + KD')
    for run in STUDENT_RUNS:
        if run in runs:
            history = runs[run]
            ax.plot([r['step'] for r in history],
                    [r['accuracy/top1'] for r in history],
                    marker='o', label=labels[run])
    if 'pwkd' in runs:
        history = runs['pwkd']
        ax.step([r['step'] for r in history],
                [r['teacher/top1'] for r in history], where='mid',
                color='grey', linestyle='--',
                label="PWKD's teacher at its stage width")
    for stage, width in enumerate(stage_widths):
        ax.axvline(stage + 0.5, color='grey', linestyle=':', linewidth=1)
        ax.text(stage + 1, 0.02, f'teacher w={width}', ha='center',
                transform=ax.get_xaxis_transform(), color='grey')
    ax.set_xlabel('epoch')
    ax.set_ylabel('test top-1 accuracy (%)')
    ax.set_title('resnet20 -> resnet8 on Fashion-MNIST (10k training images)')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    args = parse_args()
    start = time.time()
    # Fail now, with the install hint, rather than inside the first run.
    FashionMNISTIDX(data_root=args.data_root, split='test')
    root = Path(args.work_dir).resolve()
    data = [f'{loader}.dataset.data_root={args.data_root}'
            for loader in LOADERS]
    slimmable = teacher_steps(args, root, data)
    distill = [*data, f'model.teacher_ckpt={slimmable}']
    if not args.skip_student_alone:
        train('student_resnet8_fmnist.py', root / 'student', data)
    train('kd_resnet20_resnet8_fmnist.py', root / 'kd', distill)
    train('pwkd_resnet20_resnet8_fmnist.py', root / 'pwkd', distill)

    runs = {name: val_history(root / name)
            for name in ('teacher', 'slimmable', *STUDENT_RUNS)
            if (root / name).exists()}
    table = report(root, runs)
    stages = Config.fromfile(
        CONFIGS / 'pwkd_resnet20_resnet8_fmnist.py').custom_hooks[0].stages
    plot(root / 'pwkd_vs_kd.png', runs, [s['width'] for s in stages])
    (root / 'results.md').write_text(table + '\n')
    (root / 'results.json').write_text(json.dumps(runs, indent=1))
    print(f'\n{table}\n')
    print(f'Plot: {root / "pwkd_vs_kd.png"}; table: {root / "results.md"}; '
          f'{time.time() - start:.0f} s in all.')


if __name__ == '__main__':
    main()
