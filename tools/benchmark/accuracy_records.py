"""Finished runs of the accuracy benchmark, kept in the repository.

A run's work folder (checkpoints, logs) lives outside the repository and
may be gone by the time the benchmark continues, on another machine or in
another session. What the tables need of a finished run (its validation
curve, its wall time and, for a final, its test scores) is small: it is
recorded in one JSON file per run beside the results
(``docs/benchmarks/accuracy_records/<config>/<cell>/<tag>/seed<N>.json``),
committed as runs finish, and a run with a record is not trained again.

A record is reused only for the run it was made by: its key holds the
config (a digest of the whole resolved config, bases included), the seed
and every option, with each file an option names (a teacher checkpoint)
identified by its content and each folder (the data) by its files' names
and sizes. Retraining a teacher or editing a recipe makes new runs.
"""
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, Optional, Sequence

# Where records are kept; None keeps none (the benchmark sets it from
# --out, next to the results it writes).
_FOLDER: Optional[Path] = None


def keep_in(folder: Optional[Path]) -> None:
    """Keep records in ``folder`` (None: keep none)."""
    global _FOLDER
    _FOLDER = folder


@functools.lru_cache(maxsize=None)
def _file_digest(path: str, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()[:16]


def _identity(option: str) -> str:
    """A ``key=value`` option as it identifies a run: a file by its
    content (the same teacher at another path is the same run), a folder
    by its files' names and sizes, anything else as it is."""
    key, sep, value = option.partition('=')
    path = Path(value)
    if not sep or '/' not in value or not path.exists():
        return option
    if path.is_file():
        stat = path.stat()
        digest = _file_digest(str(path), stat.st_size, stat.st_mtime)
        return f'{key}=file:{digest}'
    files = sorted((p.relative_to(path).as_posix(), p.stat().st_size)
                   for p in path.rglob('*') if p.is_file())
    listing = hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]
    return f'{key}=folder:{listing}'


@functools.lru_cache(maxsize=None)
def config_digest(config: Path) -> str:
    """A digest of the resolved config, the same in any clone (read in the
    main thread: mmengine's config loading is not thread-safe)."""
    from mmengine.config import Config
    config = config.resolve()
    clone = next((p.parent for p in config.parents if p.name == 'configs'),
                 config.parent)
    text = json.dumps(Config.fromfile(str(config)).to_dict(),
                      sort_keys=True, default=str).replace(str(clone), '')
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def key(config: Path, cell: str, seed: int,
        options: Sequence[str]) -> Dict[str, object]:
    """What makes a run the run it is."""
    return dict(config=config.name, config_digest=config_digest(config),
                cell=cell, seed=seed,
                options=[_identity(o) for o in options])


def load(name: Path, run_key: Dict[str, object]) -> Optional[dict]:
    """The record ``name`` if it was made by the run ``run_key`` names."""
    if _FOLDER is None:
        return None
    path = _FOLDER / name.with_suffix('.json')
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return record if record['key'] == run_key else None


def save(name: Path, run_key: Dict[str, object], **parts: object) -> None:
    """Add ``parts`` (``val``, ``test``) to the record ``name``, written
    whole or not at all."""
    if _FOLDER is None:
        return
    record = load(name, run_key) or dict(key=run_key)
    for part, value in parts.items():
        if isinstance(value, dict) and isinstance(record.get(part), dict):
            value = {**record[part], **value}
        record[part] = value
    path = _FOLDER / name.with_suffix('.json')
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f'.{os.getpid()}.part')
    partial.write_text(json.dumps(record, indent=1) + '\n')
    partial.replace(path)
