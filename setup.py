import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

# What an OpenMMLab package carries under <package>/.mim so that a user who
# installs it without cloning finds its configs and tools (mim train mmpwkd
# CONFIG looks there), and the checkpoints that configs name relative to
# themselves (the Fashion-MNIST teacher, 1.3 MB).
MIM_FILES = ('configs', 'tools', 'checkpoints', 'model-index.yml')


def parse_requirements(path: str) -> list:
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def get_version() -> str:
    scope: dict = {}
    with open('mmpwkd/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension() -> None:
    """Put the configs and tools under ``mmpwkd/.mim``, as mmpretrain's
    setup.py does: copies when a wheel or sdist is built, symlinks for an
    editable install (so that edits show through), nothing otherwise (e.g.
    while pip only reads the metadata)."""
    if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel')):
        mode = 'copy'
    else:
        return
    here = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(here, 'mmpwkd', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(here, name)
        if not osp.exists(src):
            continue
        target = osp.join(mim_path, name)
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), target)
        elif osp.isdir(src):
            shutil.copytree(
                src, target,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, target)


add_mim_extension()
setup(
    name='mmpwkd',
    version=get_version(),
    description='Partial to Whole Knowledge Distillation for OpenMMLab',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    # MANIFEST.in lists the mmpwkd/.mim files that go into the package.
    include_package_data=True,
    python_requires='>=3.8',
    # mmcv is left out on purpose: users choose mmcv or mmcv-lite, and
    # installing one over the other breaks the other.
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require=dict(
        tests=parse_requirements('requirements/tests.txt'),
        optional=parse_requirements('requirements/optional.txt')),
    license='Apache License 2.0',
    zip_safe=False)
