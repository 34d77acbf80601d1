"""Config text read out of a checkpoint, parsed as data and never run.

mmengine's Runner saves the run's config in every checkpoint as python text
(``meta['cfg']``), and ``Config.fromstring`` executes such text: it runs
its statements, loads the files its ``_base_`` names and imports the
modules its ``custom_imports`` names. A checkpoint is data from wherever it
came from, so :func:`literal_config` reads that text with :mod:`ast` and
accepts only what the Runner writes: top-level assignments of literals,
lists, tuples, dicts and ``dict(key=value, ...)``. Anything else is refused
with the line that holds it.

mmengine's ``Runner.resume`` executes ``meta['config']`` (a key of
mmcv-era checkpoints that mmengine no longer writes) to compare GPU
counts; :func:`without_config_code` drops it when a checkpoint is loaded.
"""
import ast
from typing import Any

from mmengine.config import Config

__all__ = ['literal_config', 'without_config_code']

# Keys that make mmengine load other files or import modules.
REFUSED_NAMES = ('_base_', '_deprecation_')


def _refuse(node: ast.AST, source: str, what: str) -> ValueError:
    return ValueError(
        f'{source}, line {getattr(node, "lineno", "?")}: {what}; config '
        'text read from a checkpoint is parsed as literals only, never '
        'executed. Pass the config file instead')


def _literal(node: ast.AST, source: str) -> Any:
    """The value of a literal expression node; raise on anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and isinstance(
                    node.operand.value, (int, float, complex)):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List):
        return [_literal(item, source) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(item, source) for item in node.elts)
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise _refuse(node, source, 'a ** expansion is not a literal')
        return {
            _literal(key, source): _literal(value, source)
            for key, value in zip(node.keys, node.values)
        }
    if isinstance(node, ast.Call) and isinstance(
            node.func, ast.Name) and node.func.id == 'dict' and not node.args:
        if any(keyword.arg is None for keyword in node.keywords):
            raise _refuse(node, source, 'a ** expansion is not a literal')
        return {
            keyword.arg: _literal(keyword.value, source)
            for keyword in node.keywords
        }
    raise _refuse(node, source,
                  f'{ast.unparse(node)[:60]!r} is not a literal')


def literal_config(text: str, source: str) -> Config:
    """Parse python config text as literals, without running any of it.

    Args:
        text (str): Config text, e.g. ``meta['cfg']`` of a checkpoint.
        source (str): Where it came from, for messages and
            ``Config.filename``.

    Returns:
        Config: The assigned names and their values.

    Raises:
        ValueError: If the text is not python, holds a statement other than
            ``name = literal``, or assigns ``_base_``; the message names
            the line.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise ValueError(f'{source}: not python config text '
                         f'(line {error.lineno}: {error.msg})') from error
    values = {}
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            raise _refuse(statement, source,
                          f'{type(statement).__name__} statement '
                          f'{ast.unparse(statement)[:60]!r} is not an '
                          'assignment of a literal')
        name = statement.targets[0].id
        if name in REFUSED_NAMES:
            raise _refuse(statement, source,
                          f'{name} would load other files')
        values[name] = _literal(statement.value, source)
    try:
        return Config(values, cfg_text=text, filename=source)
    except KeyError as error:  # a name mmengine reserves, e.g. filename
        raise ValueError(f'{source}: {error.args[0]}') from error


def without_config_code(checkpoint: Any) -> Any:
    """``checkpoint`` without ``meta['config']``, which mmengine's
    ``Runner.resume`` would execute; everything else is kept.

    Args:
        checkpoint (Any): A loaded checkpoint (a dict or anything else).

    Returns:
        Any: The same object.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict):
        meta.pop('config', None)
    return checkpoint
