#!/usr/bin/env bash
# Train one teacher-student pair of configs/cifar100 end to end on a GPU and
# write a table of the results.
#
# Usage: bash tools/benchmark/cifar100.sh PAIR [SEED ...]
#
#   PAIR  TEACHER_STUDENT, one of
#           resnet56_resnet20  resnet110_resnet32  resnet32x4_resnet8x4
#           wrn40-2_wrn16-2  wrn40-2_wrn40-1  vgg13_vgg8
#           resnet32x4_shufflenet-v1  resnet32x4_shufflenet-v2
#           vgg13_mobilenet-v2
#   SEED  seeds of the student runs (randomness.seed); default 0 1 2 3 4
#
# Environment:
#   DATA_ROOT  folder holding cifar-100-python/ (default data/cifar100;
#              mmpretrain downloads it there when missing and online)
#   WORK_ROOT  where the runs go (default work_dirs/cifar100, where the
#              configs look for their teachers' checkpoints)
#              Relative paths are taken from the repository root.
#   METHODS    distillation configs run per seed (default "kd pwkd-kd";
#              "kd pwkd-kd dkd pwkd-dkd" adds DKD and PWKD + DKD)
#   PYTHON     the interpreter (default python3)
#
# Steps, each a plain tools/train.py run on one GPU:
#   1. the teacher TEACHER_1xb64_cifar100.py (seed 0, shared by every seed
#      and every pair with this teacher) -> WORK_ROOT/<config name>/
#   2. with a PWKD method: the slimmable teacher, fine-tuned from 1.
#      -> WORK_ROOT/slimmable_TEACHER_1xb64_cifar100/
#   3. per seed: the student alone and every METHOD (KD/DKD from 1., PWKD
#      from 2.) -> WORK_ROOT/<config name>/seed<S>/
#   4. WORK_ROOT/results_PAIR.md and .json: the last validation top-1 of
#      every run, mean +- std over the seeds
#      (tools/benchmark/cifar100_table.py)
# A run that finished leaves a file 'done' in its work dir and is skipped
# next time; an interrupted one is resumed. So after a failure, run the
# same command again.
set -euo pipefail

PAIRS=(resnet56_resnet20 resnet110_resnet32 resnet32x4_resnet8x4
    wrn40-2_wrn16-2 wrn40-2_wrn40-1 vgg13_vgg8 resnet32x4_shufflenet-v1
    resnet32x4_shufflenet-v2 vgg13_mobilenet-v2)

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
PAIR=$1
shift
[[ " ${PAIRS[*]} " == *" $PAIR "* ]] || usage
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(0 1 2 3 4)
for seed in "${SEEDS[@]}"; do
    [[ $seed =~ ^[0-9]+$ ]] || { echo "not a seed: $seed" >&2; usage; }
done

TEACHER=${PAIR%%_*}
STUDENT=${PAIR#*_}
DATA_ROOT=${DATA_ROOT:-data/cifar100}
WORK_ROOT=${WORK_ROOT:-work_dirs/cifar100}
METHODS=${METHODS:-kd pwkd-kd}
PYTHON=${PYTHON:-python3}
SUFFIX=1xb64_cifar100
cd "$(dirname "$0")/../.."

# The table label of a distillation method; fails on any other name.
method_label() {
    case $1 in
        kd) echo KD ;;
        dkd) echo DKD ;;
        pwkd-kd) echo "PWKD + KD" ;;
        pwkd-dkd) echo "PWKD + DKD" ;;
        *) echo "unknown method in METHODS: $1" >&2; return 1 ;;
    esac
}
for method in $METHODS; do
    method_label "$method" >/dev/null || usage
done

DATA_OPTIONS=()
for loader in train_dataloader val_dataloader test_dataloader; do
    DATA_OPTIONS+=("$loader.dataset.data_root=$DATA_ROOT")
done

# train NAME WORK_DIR LOAD_FROM [CFG_OPTION ...]: train
# configs/cifar100/NAME.py into WORK_DIR unless done there; resume from the
# work dir's checkpoint if it has one, else start from LOAD_FROM if given.
train() {
    local name=$1 work_dir=$2 load_from=$3
    shift 3
    if [[ -f $work_dir/done ]]; then
        echo "==> $name: done in $work_dir"
        return
    fi
    local flags=() options=("${DATA_OPTIONS[@]}" "$@")
    if [[ -f $work_dir/last_checkpoint ]]; then
        flags=(--resume)
    elif [[ -n $load_from ]]; then
        options+=("load_from=$load_from")
    fi
    echo "==> $name -> $work_dir"
    "$PYTHON" tools/train.py "configs/cifar100/$name.py" \
        --work-dir "$work_dir" ${flags[@]+"${flags[@]}"} \
        --cfg-options "${options[@]}"
    touch "$work_dir/done"
}

# The checkpoint that a finished run in $1 saved last.
last_checkpoint() {
    cat "$1/last_checkpoint"
}

teacher_dir=$WORK_ROOT/${TEACHER}_$SUFFIX
train "${TEACHER}_$SUFFIX" "$teacher_dir" ""
slimmable_dir=$WORK_ROOT/slimmable_${TEACHER}_$SUFFIX
if [[ " $METHODS " == *" pwkd-"* ]]; then
    train "slimmable_${TEACHER}_$SUFFIX" "$slimmable_dir" \
        "$(last_checkpoint "$teacher_dir")"
fi

for seed in "${SEEDS[@]}"; do
    train "${STUDENT}_$SUFFIX" "$WORK_ROOT/${STUDENT}_$SUFFIX/seed$seed" "" \
        "randomness.seed=$seed"
    for method in $METHODS; do
        source_dir=$teacher_dir
        [[ $method != pwkd-* ]] || source_dir=$slimmable_dir
        name=${method}_${PAIR}_$SUFFIX
        train "$name" "$WORK_ROOT/$name/seed$seed" "" \
            "randomness.seed=$seed" \
            "model.teacher_ckpt=$(last_checkpoint "$source_dir")"
    done
done

# One table row per run kind, with the work dirs of its seeds.
runs=(--run "teacher $TEACHER" "$teacher_dir")
if [[ -f $slimmable_dir/done ]]; then
    runs+=(--run "slimmable $TEACHER" "$slimmable_dir")
fi
add_row() {
    local label=$1 base=$2 dirs=()
    for seed in "${SEEDS[@]}"; do
        dirs+=("$base/seed$seed")
    done
    runs+=(--run "$label" "${dirs[@]}")
}
add_row "$STUDENT alone" "$WORK_ROOT/${STUDENT}_$SUFFIX"
for method in $METHODS; do
    add_row "$(method_label "$method")" "$WORK_ROOT/${method}_${PAIR}_$SUFFIX"
done
"$PYTHON" tools/benchmark/cifar100_table.py "$WORK_ROOT/results_$PAIR.md" \
    --title "CIFAR-100, $TEACHER -> $STUDENT" \
    --command "METHODS='$METHODS' bash tools/benchmark/cifar100.sh $PAIR \
${SEEDS[*]}" \
    "${runs[@]}"
