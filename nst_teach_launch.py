"""The `nst-teach` command's entry point: one process setting, then `nst_teach.cli.main`.

OpenMP's waiting policy must be set before torch (and its OpenMP runtime) is loaded, so it cannot
live in the `nst_teach` package, whose first import loads torch. By default an OpenMP thread that
has finished its share of an operation spins on its core for a while, waiting for the next one.
Between torch's operations, VGG's Winograd convolutions (`nst_teach.winograd`) run on NNPACK's own
threads, which then found both cores busy with spinning: on a 2-core AMD EPYC (AVX2) a 256 px
forward + backward pass took 0.52 s instead of 0.33 s, and a 512 px loss evaluation 1.59 s instead
of 1.31 s (benchmarks/bench_evaluation.py with and without the setting). With ``PASSIVE`` the
threads sleep instead; torch's direct convolutions were not slower with it. A value the user has
set is kept.
"""

import os
import sys


def let_openmp_threads_sleep():
    """OMP_WAIT_POLICY=PASSIVE unless set: call it before torch loads (the command, `make lab`'s
    kernels and the benchmarks do)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main():
    let_openmp_threads_sleep()
    from nst_teach.cli import main as nst_teach_main  # loads torch: after the setting

    return nst_teach_main()


if __name__ == "__main__":
    sys.exit(main())
