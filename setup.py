from setuptools import find_packages, setup


def parse_requirements(path: str) -> list:
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def get_version() -> str:
    scope: dict = {}
    with open('mmpwkd/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmpwkd',
    version=get_version(),
    description='Partial to Whole Knowledge Distillation for OpenMMLab',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.8',
    # mmcv is left out on purpose: users choose mmcv or mmcv-lite, and
    # installing one over the other breaks the other.
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require=dict(
        tests=parse_requirements('requirements/tests.txt'),
        optional=parse_requirements('requirements/optional.txt')),
    license='Apache License 2.0',
    zip_safe=False)
