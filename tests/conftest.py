"""Shared fixtures: small synthetic data sets the tests write themselves."""
import importlib.util
import os.path as osp
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import List

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def write_image_folder(root: Path, num_classes: int, per_class: int,
                       size: int, seed: int = 0) -> Path:
    """Write an ImageNet-style folder of PNGs (``root/class_k/i.png``).

    Each class has its own mean colour, so a small network can learn it.
    """
    rng = np.random.default_rng(seed)
    for label in range(num_classes):
        folder = root / f'class_{label}'
        folder.mkdir(parents=True, exist_ok=True)
        base = rng.integers(0, 256, size=3)
        for i in range(per_class):
            noise = rng.integers(-40, 40, size=(size, size, 3))
            pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f'{i}.png')
    return root


def write_fake_fashion_mnist(root: Path, train: int, test: int) -> Path:
    """Fashion-MNIST-format IDX files (gzipped) with learnable classes:
    each class has its own brightness."""
    from test_datasets.idx_writer import write_idx
    rng = np.random.default_rng(0)
    for prefix, count in (('train', train), ('t10k', test)):
        labels = np.arange(count, dtype=np.uint8) % 10
        images = rng.integers(0, 60, size=(count, 28, 28)) + 18 * labels[
            :, None, None]
        write_idx(root / f'{prefix}-images-idx3-ubyte.gz',
                  images.astype(np.uint8))
        write_idx(root / f'{prefix}-labels-idx1-ubyte.gz', labels)
    return root


@pytest.fixture(scope='session')
def fake_fashion_mnist(tmp_path_factory) -> Path:
    """64 training and 32 test images in the Fashion-MNIST file format."""
    return write_fake_fashion_mnist(
        tmp_path_factory.mktemp('fashion'), train=64, test=32)


@pytest.fixture(scope='session')
def image_folder(tmp_path_factory) -> Path:
    """4 classes x 8 images of 32x32 RGB."""
    root = tmp_path_factory.mktemp('images')
    return write_image_folder(root, num_classes=4, per_class=8, size=32)


def run_tool(args: List[str], cwd: Path = REPO,
             timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a command of the repo (``tools/...``) and fail with its output."""
    proc = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f'{" ".join(args)} exited {proc.returncode}:\n'
                    f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def python_tool(script: str, *args: str) -> List[str]:
    return [sys.executable, osp.join(str(REPO), script), *args]


def load_tool(script: str) -> ModuleType:
    """A script of the repo (``tools/...``) imported afresh as a module, to
    call its functions (``main(argv)``) in the test's process."""
    path = REPO / script
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Slow tests first: pytest-xdist hands tests out in this order, so
    the long ones run beside the short ones instead of after them."""
    items.sort(key=lambda item: item.get_closest_marker('slow') is None)
