"""tools/benchmark/ reads as layered scripts: no module imports one that
imports it back (a script imported by a sibling it imports runs twice), the
speed benchmarks time through one harness (timing.py), no module reaches
into another object's private attributes, none edits the module path (they
import each other as the scripts' siblings, and the stack as installed),
and the speed modules stay small."""
import ast
from typing import Dict, List, Set

from conftest import REPO

BENCHMARK = REPO / 'tools' / 'benchmark'
MODULES = {path.stem: path for path in sorted(BENCHMARK.glob('*.py'))}
SPEED = ('speed', 'speed_arms', 'speed_options', 'slimmable_forward',
         'timing')
# What only the harness may do: read the clock or wait for a device.
HARNESS_CALLS = {'perf_counter', 'synchronize'}


def tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(), str(MODULES[name]))


def sibling_imports(name: str) -> Set[str]:
    """The modules of tools/benchmark/ that ``name`` imports."""
    found = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
    return found & set(MODULES)


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import cycle of ``graph`` as a path of names, or []."""
    state: Dict[str, str] = {}

    def visit(name: str, path: List[str]) -> List[str]:
        state[name] = 'open'
        for child in sorted(graph[name]):
            if state.get(child) == 'open':
                return path[path.index(child):] + [child]
            if child not in state:
                cycle = visit(child, path + [child])
                if cycle:
                    return cycle
        state[name] = 'done'
        return []

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name, [name])
            if cycle:
                return cycle
    return []


def test_find_cycle_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == [
        'a', 'b', 'c', 'a'
    ]
    assert find_cycle({'a': {'b', 'c'}, 'b': {'c'}, 'c': set()}) == []


def test_no_import_cycle():
    graph = {name: sibling_imports(name) for name in MODULES}
    cycle = find_cycle(graph)
    assert not cycle, 'import cycle: ' + ' -> '.join(cycle)
    assert graph['speed'] >= {'speed_options', 'timing'}


def test_speed_benchmarks_time_through_one_harness():
    for name in ('speed', 'speed_options', 'slimmable_forward'):
        uses = {
            alias.name
            for node in ast.walk(tree(name))
            if isinstance(node, ast.ImportFrom) and node.module == 'timing'
            for alias in node.names
        }
        assert 'run_rounds' in uses, name
    for name in SPEED:
        if name == 'timing':
            continue
        calls = {
            node.func.attr
            for node in ast.walk(tree(name)) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
        }
        assert not calls & HARNESS_CALLS, (
            f'{name}.py times by itself: {sorted(calls & HARNESS_CALLS)}')


def test_no_private_attribute_of_another_object():
    found = []
    for name in MODULES:
        for node in ast.walk(tree(name)):
            if (isinstance(node, ast.Attribute) and node.attr.startswith('_')
                    and not node.attr.startswith('__')
                    and not (isinstance(node.value, ast.Name)
                             and node.value.id in ('self', 'cls'))):
                found.append(f'{name}.py:{node.lineno} .{node.attr}')
    assert not found, found


def test_no_module_edits_the_module_path():
    found = [
        f'{name}.py:{node.lineno}' for name in MODULES
        for node in ast.walk(tree(name))
        if isinstance(node, ast.Attribute) and node.attr == 'path'
        and isinstance(node.value, ast.Name) and node.value.id == 'sys'
    ]
    assert not found, found


def test_speed_modules_are_small():
    lengths = {
        name: len(MODULES[name].read_text().splitlines())
        for name in SPEED
    }
    assert all(length < 400 for length in lengths.values()), lengths
