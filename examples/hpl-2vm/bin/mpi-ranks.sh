#!/bin/sh
# One MPI rank of the hpl-2vm example (started by mpirun in each VM): say which rank of how many runs on
# which guest; rank 0 also writes ranks.out, which vmdag brings back into the run directory's outputs/.
r=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-?}}
n=${OMPI_COMM_WORLD_SIZE:-${PMI_SIZE:-?}}
echo "rank $r of $n on $(hostname)"
[ "$r" = 0 ] && echo "rank 0 of $n on $(hostname)" > ranks.out
exit 0
