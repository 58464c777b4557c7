#!/usr/bin/env bash
# Trains the family of teachers made by another library (bench/family/train_teacher.py, PyTorch) on qdistill's
# four classic environments, one run after another on one core, and writes runs/family/manifest.json.
#
#   bench/family/make-family.sh                          # or: nohup bench/family/make-family.sh > runs/family/log.txt 2>&1 &
#   FAMILY_OUT=runs/family FAMILY_CORE=1 bench/family/make-family.sh
#
# A run folder that holds train.json is finished and skipped, so the script resumes after an interruption.
# Family: per env, Zoo DQN 256-256 seeds 1 2 3; CleanRL DQN 120-84 seed 1; Zoo QR-DQN 256-256 seed 1.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${FAMILY_OUT:-runs/family}
CORE=${FAMILY_CORE:-1}
PY=/usr/bin/python3
mkdir -p "$OUT"

# Debian's torch calls the system libblas.so.3; where that is the reference BLAS a 256-256 gradient step takes
# ~24 ms instead of ~1.6 ms. Debian's single-threaded OpenBLAS, unpacked under $OUT/.deps (nothing installed),
# is put in front of it when it can be had; train.json records which BLAS each run used.
LIB=$OUT/.deps/root/usr/lib/x86_64-linux-gnu/openblas-serial
if [ ! -e "$LIB/libblas.so.3" ] && [ -z "${FAMILY_SYSTEM_BLAS:-}" ]; then
  (mkdir -p "$OUT/.deps" && cd "$OUT/.deps" && apt-get download libopenblas0-serial >/dev/null 2>&1 \
    && dpkg-deb -x libopenblas0-serial_*.deb root) || echo "warning: no OpenBLAS; training on the system BLAS"
fi
if [ -e "$LIB/libblas.so.3" ] && [ -z "${FAMILY_SYSTEM_BLAS:-}" ]; then
  export LD_LIBRARY_PATH="$(realpath "$LIB")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# Keep large tensors in the heap instead of mmap/munmap per allocation (QR-DQN's pairwise loss: ~15 MB each).
export MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824

run() {  # run NAME ARGS...
  local name=$1; shift
  local dir=$OUT/$name
  if [ -f "$dir/train.json" ]; then echo "== $name: done before, skipped"; return; fi
  mkdir -p "$dir"
  echo "== $name: $(date -u +%FT%TZ) start: $PY bench/family/train_teacher.py $* --out $dir"
  if taskset -c "$CORE" "$PY" bench/family/train_teacher.py "$@" --out "$dir" > "$dir/train.log" 2>&1; then
    echo "== $name: $(date -u +%FT%TZ) $(tail -n 1 "$dir/train.log")"
  else
    echo "== $name: $(date -u +%FT%TZ) FAILED (exit $?); last lines of $dir/train.log:"; tail -n 5 "$dir/train.log"
  fi
  "$PY" bench/family/manifest.py "$OUT"
}

ENVS="CartPole-v1 Acrobot-v1 MountainCar-v0 LunarLander-v3"
slug() { echo "$1" | tr '[:upper:]' '[:lower:]'; }
for seed in 1 2 3; do
  for env in $ENVS; do run "$(slug "$env")-zoo-dqn-256x256-s$seed" --env "$env" --seed "$seed" --hparams zoo --head dqn --arch 256,256; done
done
for env in $ENVS; do run "$(slug "$env")-cleanrl-dqn-120x84-s1" --env "$env" --seed 1 --hparams cleanrl --head dqn --arch 120,84; done
# LunarLander's QR-DQN (170 quantiles, a 128×170×170 loss per gradient step) is by far the slowest run: last.
for env in $ENVS; do run "$(slug "$env")-zoo-qrdqn-256x256-s1" --env "$env" --seed 1 --hparams zoo --head qrdqn --arch 256,256; done
echo "== family finished $(date -u +%FT%TZ)"
