"""Where does distillation help, and does PWKD help more?

Fashion-MNIST, carved into fixed class-balanced parts (``FashionMNISTIDX``
``part``): teachers trained on 50k images, rebuilt as slimmable teachers;
students on a subset of 1k-5k other images; a 5k validation part for every
choice; the official test split only for a final table. Every run is
scored with BN statistics re-estimated on its training data. The phases
reuse each other's runs, so a killed benchmark continues where it stopped.

The first study (a resnet20 teacher, a resnet8 student):

* ``pilot``: subset size x schedule length, student alone against KD (3
  seeds, validation), tau on the two most promising cells, then the
  cheapest cell where KD beats the student alone by >= 1.5 points and by
  more than twice the pooled std over 5 seeds.
* ``study``: PWKD recipes at that cell (3 seeds, validation): LR restarts,
  then stage proportions, widths, a gradual curriculum and teacher
  quality with the best LR; DKD with and without its loss warm-up.
* ``final``: the chosen arms over 5 seeds, scored on the test set.

The second study, when a partial teacher can help
(``accuracy_teachers.py``, ``accuracy_gap.py``, ``accuracy_verdict.py``,
``accuracy_cost.py``):

* ``diversity``: a resnet20 and a resnet56 slimmable teacher, every width
  scored against the whole teacher (top-1, agreement, KL).
* ``gap``: students of two sizes x the two teachers x two schedule
  lengths; student alone, KD from the whole and from fixed partial
  teachers, PWKD + KD (3 seeds, validation).
* ``verdict``: the pre-registered final in the best qualifying cell over
  10-20 seeds (as many as its interval needs to see half a point), with
  KD at PWKD's training time (their step costs timed side
  by side); test set.
* ``cost_check`` (after the verdict, not pre-registered): KD at the
  lengths the runs' own clocks give PWKD + KD's time, against PWKD + KD.
* ``replication`` (pre-registered after the cost check,
  ``accuracy_replication.py``): PWKD + KD against KD and against KD at the
  gap phase's cost ratio, over 20 new seeds, judged against a margin of
  half a point either way.
* ``gap_check`` (pre-registered after the replication, the same module):
  the same comparison in the gap cell where PWKD + KD fell below KD on
  validation (resnet56 -> resnet8, 5k images x 40 epochs), over 10 new
  seeds, KD cut to that cell's cost ratio.

Every run is an ordinary ``tools/train.py`` run of a config in
``configs/benchmark/fmnist/``. Results go into one JSON file (a section per
phase), a markdown report and plots.

Example:
    python tools/benchmark/accuracy.py pilot
    python tools/benchmark/accuracy.py study
    python tools/benchmark/accuracy.py final
    python tools/benchmark/accuracy.py diversity
    python tools/benchmark/accuracy.py gap
    python tools/benchmark/accuracy.py verdict
    python tools/benchmark/accuracy.py cost_check
    python tools/benchmark/accuracy.py replication
    python tools/benchmark/accuracy.py gap_check
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import accuracy_records
import accuracy_report
from accuracy_gap import gap
from accuracy_phases import final, pilot, study
from accuracy_replication import gap_check, replication
from accuracy_runs import LOADERS
from accuracy_teachers import diversity_phase
from accuracy_verdict import cost_check, verdict

DEFAULT_DATA_ROOT = '/usr/share/datasets/fashion-mnist'
PHASES = dict(pilot=pilot, study=study, final=final,
              diversity=diversity_phase, gap=gap,
              verdict=verdict, cost_check=cost_check,
              replication=replication, gap_check=gap_check)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('phase', choices=list(PHASES))
    parser.add_argument('--work-dir', default='work_dirs/accuracy')
    parser.add_argument('--data-root', default=DEFAULT_DATA_ROOT)
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time, one thread each')
    parser.add_argument(
        '--cells', nargs='+', metavar='PER_CLASSxEPOCHS',
        help='pilot cells, e.g. 100x30 (default: the first study\'s '
        'grid)')
    parser.add_argument('--seeds', type=int, default=None,
                        help='seeds per arm (default: 3 for pilot and '
                        'study, 5 for the final table and confirmations, '
                        '10-20 for the verdict by its seed rule, 20 for '
                        'the replication, 10 for the gap check)')
    parser.add_argument('--confirm-seeds', type=int, default=5,
                        help='seeds that confirm a pilot cell')
    parser.add_argument(
        '--retrain-teachers', action='store_true',
        help='train the teachers even where checkpoints/ ships them')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to every run (e.g. for a smoke test)')
    parser.add_argument(
        '--cost-rounds', type=int, default=30,
        help='verdict: rounds of the side-by-side timing of PWKD + KD\'s '
        'step against KD\'s that sets the equal-cost arm\'s epochs')
    parser.add_argument('--out', default='docs/benchmarks/accuracy.json',
                        help='raw results; each phase writes its section')
    return parser.parse_args(argv)


def load_results(path: Path) -> Dict:
    return json.loads(path.read_text()) if path.exists() else {}


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    start = time.time()
    root = Path(args.work_dir).resolve()
    data = tuple(f'{loader}.dataset.data_root={args.data_root}'
                 for loader in LOADERS) + tuple(args.cfg_options)
    out = Path(args.out)
    accuracy_records.keep_in(out.parent / 'accuracy_records')
    results = load_results(out)
    section = PHASES[args.phase](args, root, data, results)
    section['command'] = 'python ' + ' '.join(
        sys.argv if argv is None else ['tools/benchmark/accuracy.py', *argv])
    section['machine'] = dict(cores=os.cpu_count(),
                              load_average=os.getloadavg())
    section['wall_seconds'] = time.time() - start
    results[args.phase] = section
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    tables = accuracy_report.write(results, out.parent)
    print(tables.read_text(), flush=True)
    print(f'==> {args.phase} done in {(time.time() - start) / 60:.1f} min; '
          f'results in {out}', flush=True)
    return results


if __name__ == '__main__':
    main()
