"""model-index.yml and the metafiles it imports, as mmpretrain keeps them:
every metafile is imported, every config a metafile names exists, every
runnable config is in a metafile, and every entry has the fields
mmpretrain's own entries have.

The Fashion-MNIST student arms (configs/benchmark/fmnist/*-student.py) are
not models but arms of one study, run by tools/benchmark/accuracy.py with
per-cell overrides; their results are in docs/benchmarks/accuracy.md. The
folder's metafile lists its teachers, one of which we ship.
"""
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from conftest import REPO

INDEX = yaml.safe_load((REPO / 'model-index.yml').read_text())
METAFILES = {path: yaml.safe_load((REPO / path).read_text())
             for path in INDEX['Import']}
MODELS: List[Dict] = [model for meta in METAFILES.values()
                      for model in meta['Models']]
STUDY_ARMS = 'configs/benchmark/fmnist/*-student.py'


def _runnable_configs() -> List[str]:
    arms = set((REPO).glob(STUDY_ARMS))
    return sorted(
        str(path.relative_to(REPO))
        for path in (REPO / 'configs').rglob('*.py')
        if '_base_' not in path.parts and path not in arms)


def _local(reference: str) -> bool:
    return not reference.startswith(('mmpretrain::', 'http://', 'https://'))


def test_index_imports_every_metafile():
    found = sorted(str(path.relative_to(REPO))
                   for path in (REPO / 'configs').rglob('metafile.yml'))
    assert sorted(INDEX['Import']) == found


def test_every_runnable_config_is_in_a_metafile():
    listed = {model['Config'] for model in MODELS}
    missing = [path for path in _runnable_configs() if path not in listed]
    assert not missing, f'configs in no metafile: {missing}'


def test_names_are_unique():
    names = [model['Name'] for model in MODELS]
    assert len(names) == len(set(names)), sorted(
        name for name in set(names) if names.count(name) > 1)


@pytest.mark.parametrize('model', MODELS, ids=lambda model: model['Name'])
def test_entry_is_complete_and_points_at_files(model):
    meta = next(meta for meta in METAFILES.values() if model in meta['Models'])
    collections = {collection['Name'] for collection in meta['Collections']}
    assert model['In Collection'] in collections
    assert (REPO / model['Config']).is_file(), model['Config']
    assert Path(model['Config']).stem == model['Name'] or \
        model['Config'] == 'configs/pwkd/r34_r18_in1k.py'
    for key in ('Training Data', 'FLOPs', 'Parameters', 'Epochs',
                'Batch Size'):
        assert key in model['Metadata'], key
    # Results: null where nothing was measured; never a placeholder.
    for result in model['Results'] or []:
        assert set(result) == {'Task', 'Dataset', 'Metrics'}
        assert all(isinstance(value, float)
                   for value in result['Metrics'].values())
    if 'Weights' in model and _local(model['Weights']):
        assert (REPO / model['Weights']).is_file(), model['Weights']
    for role in ('Student', 'Teacher', 'Initialized From'):
        reference = model['Metadata'].get(role, {}).get('Config')
        if reference and _local(reference):
            assert (REPO / reference).is_file(), (role, reference)


COLLECTIONS: List[Dict] = [collection for meta in METAFILES.values()
                           for collection in meta['Collections']]


def _as_mim_search_reads(metadata: Dict) -> Dict:
    """A Metadata block as ``mim search`` (openmim 0.3.9, ``convert2df``)
    turns it into a table row: strings are lowercased, lists are lists of
    strings (lowercased, joined) or of inference-time dicts, other values
    are kept as they are."""
    row = {}
    for key, value in metadata.items():
        name = '_'.join(key.split()).lower()
        if isinstance(value, str):
            row[name] = value.lower()
        elif isinstance(value, (list, tuple)):
            if value and isinstance(value[0], dict):
                continue
            bad = [item for item in value if not isinstance(item, str)]
            assert not bad, (f'{key}: {value!r}: mim lowercases every item '
                             'of a list; write a string or a number')
            row[name] = ','.join(item.lower() for item in value)
        else:
            row[name] = value
    return row


@pytest.mark.parametrize('entry', MODELS + COLLECTIONS,
                         ids=lambda entry: entry['Name'])
def test_mim_search_reads_the_metadata(entry):
    row = _as_mim_search_reads(entry.get('Metadata') or {})
    if entry in MODELS:
        # `mim search mmpwkd --filter "flops<1e9"` compares numbers.
        for field in ('flops', 'parameters', 'epochs', 'batch_size'):
            assert isinstance(row[field], (int, float)), (field, row[field])
