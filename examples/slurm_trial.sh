#!/bin/bash
# slurm_trial.sh: a virtual trial of 10 million patients on 4 nodes with cart-mpi (cart-mpi(1)).
#
#   sbatch examples/slurm_trial.sh [SCENARIO.ini]      (default: examples/lbcl_typical.ini)
#
# Several MPI ranks per node, a few OpenMP threads each. Threads share a rank's solving, but the
# rank deflates its chunks in one thread (about 55 MB/s of rows, bench/RESULTS.md), so a rank of
# K threads spends about 3% x K of its time writing: 11% at 4 threads, a third at 16. Adjust the
# counts below to your nodes (here 32 cores: 8 ranks x 4 threads); the product
# nodes x ntasks-per-node x cpus-per-task is the number of cores the trial uses.
#
# The output file must be on a file system every node sees (parallel HDF5 writes it through
# MPI-IO from all ranks): a parallel file system such as Lustre or GPFS, not a node's /tmp.
# The run is bit-for-bit the serial `cart trial` with the same scenario, N and seed, whatever
# the number of nodes, ranks and threads; the file says complete = 1 only if every rank finished.

#SBATCH --job-name=cart-trial
#SBATCH --nodes=4                 # nodes
#SBATCH --ntasks-per-node=8       # MPI ranks per node
#SBATCH --cpus-per-task=4         # cores per rank: its OpenMP threads
#SBATCH --time=02:00:00           # about 1e7 patients / (128 cores x ~1200 patients/s per core) = 65 s
                                  # of solving at the rates of bench/RESULTS.md; the margin is for
                                  # slower cores, queues and a larger N
#SBATCH --output=cart-trial-%j.log

set -euo pipefail

SCENARIO=${1:-examples/lbcl_typical.ini}
N=10000000                        # patients (overrides the scenario's n_patients)
SEED=1                            # the scenario's seed may be kept by leaving --seed out
OUTPUT=${CART_OUTPUT:-$PWD/cart-trial-$SLURM_JOB_ID.h5}

# Your site's modules, if cart-mpi was built against them (Open MPI and parallel HDF5):
# module load openmpi hdf5/mpi

# One OpenMP thread per core given to the rank, pinned to its cores.
export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK
export OMP_PROC_BIND=close
export OMP_PLACES=cores

# srun starts the ranks where Slurm placed them (Open MPI built with Slurm/PMIx support);
# --cpus-per-task must be repeated for srun on Slurm >= 22.05.
srun --cpus-per-task="$SLURM_CPUS_PER_TASK" \
  cart-mpi trial "$SCENARIO" -n "$N" --seed "$SEED" -o "$OUTPUT" --timing

# Without srun support, Open MPI's mpirun reads the allocation itself:
# mpirun --map-by ppr:${SLURM_NTASKS_PER_NODE}:node:PE=${SLURM_CPUS_PER_TASK} --bind-to core \
#   cart-mpi trial "$SCENARIO" -n "$N" --seed "$SEED" -o "$OUTPUT" --timing

# The file is complete only if this prints 1:
h5dump -a /complete "$OUTPUT" | sed -n 's/^ *(0): *//p'
