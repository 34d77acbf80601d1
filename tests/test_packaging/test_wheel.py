"""A built wheel carries the configs, tools and shipped checkpoints under
``mmpwkd/.mim``, as OpenMMLab packages do, so that an installed mmpwkd finds
its configs, and the checkpoints they name, without a clone (``mim train
mmpwkd CONFIG`` looks there)."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO

# What setup.py reads or packs; a copy keeps build/ and .mim out of the repo.
SOURCES = ('setup.py', 'pyproject.toml', 'MANIFEST.in', 'README.md',
           'requirements', 'mmpwkd', 'configs', 'tools', 'checkpoints',
           'model-index.yml')
CONFIG = 'pwkd/r34_r18_in1k.py'

# Run from the installed copy only: mim's lookup, then mmengine's loader.
LOCATE = f"""
import os.path as osp
from pathlib import Path
from mmengine.config import Config
from mmengine.utils import get_installed_path

root = Path(get_installed_path('mmpwkd'))
found = sorted((root / '.mim' / 'configs').rglob('{Path(CONFIG).name}'))
cfg = Config.fromfile(str(root / '.mim' / 'configs' / '{CONFIG}'))
print(root)
print([str(p.relative_to(root)) for p in found])
print(cfg.model.type, cfg.model.teacher.type)
print((root / '.mim' / 'tools' / 'train.py').is_file())
"""

# The Fashion-MNIST PWKD config of the installed copy builds: its teacher
# checkpoint is found inside the package and loads.
BUILD_FMNIST = """
from pathlib import Path
from mmengine.config import Config
from mmengine.utils import get_installed_path
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

root = Path(get_installed_path('mmpwkd'))
cfg = Config.fromfile(str(root / '.mim' / 'configs' / '{config}'))
register_all_modules()
model = MODELS.build(cfg.model)
print(Path(cfg.model.teacher_ckpt).resolve())
print(type(model).__name__)
"""
FMNIST_PWKD = ('benchmark/fmnist/'
               'pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py')


def _copy_sources(target: Path) -> None:
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.is_file():
            shutil.copy(source, target / name)


def _run(args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_wheel_carries_configs_and_tools(tmp_path):
    source = tmp_path / 'src'
    _copy_sources(source)
    _run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
          '--no-build-isolation', '-w', str(tmp_path / 'dist'), '.'], source)
    wheel = next((tmp_path / 'dist').glob('mmpwkd-*.whl'))

    names = set(zipfile.ZipFile(wheel).namelist())
    configs = {
        f'mmpwkd/.mim/configs/{path.relative_to(REPO / "configs")}'
        for path in (REPO / 'configs').rglob('*.py')
    }
    assert configs and configs <= names, sorted(configs - names)[:5]
    for tool in ('train.py', 'test.py', 'dist_train.sh',
                 'model_converters/extract_student.py'):
        assert f'mmpwkd/.mim/tools/{tool}' in names

    site = tmp_path / 'site'
    _run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
          '--target', str(site), str(wheel)], tmp_path)
    # Only the installed copy: no repo on the path, run from elsewhere.
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = _run([sys.executable, '-c', LOCATE], tmp_path, env)
    root, found, types, has_train = proc.stdout.strip().splitlines()[-4:]
    assert root == str(site / 'mmpwkd')
    assert f"'.mim/configs/{CONFIG}'" in found
    assert types == 'PWKDDistiller SlimmableClassifier'
    assert has_train == 'True'

    shipped = 'mmpwkd/.mim/checkpoints/' \
        'slimmable-resnet20_1xb128_fmnist-teacher.pth'
    assert shipped in names
    # The benchmark's route checkpoints (a folder of a plain teacher's
    # epochs) stay in the repository, out of the package.
    route = REPO / 'checkpoints' / 'resnet20_1xb128_fmnist-teacher'
    assert any(route.glob('epoch_*.pth'))
    assert not [n for n in names if '/checkpoints/resnet20_' in n]
    proc = _run([sys.executable, '-c',
                 BUILD_FMNIST.format(config=FMNIST_PWKD)], tmp_path, env)
    teacher, built = proc.stdout.strip().splitlines()[-2:]
    assert teacher == str(site / shipped)
    assert built == 'PWKDDistiller'
