#!/bin/sh
# One MPI rank of the hpl-paper examples (mpirun starts it on every rank): run Debian's hpcc, the HPC
# Challenge suite, which contains HPL. hpcc reads hpccinf.txt (HPL.dat's format plus four PTRANS lines) from
# the working directory, runs every test of the suite (Debian's hpcc 1.5.0 has no switch for HPL alone) and
# rank 0 appends the results to hpccoutf.txt there; HPL's are its HPL_* lines (HPL_Tflops, HPL_N, HPL_time).
#
# usage: run-hpcc.sh [tcp]
#   tcp  MPI over TCP even between ranks on one machine (OpenMPI's ob1 with its tcp and self transports):
#        the paper's "TCP" rows. Without it OpenMPI chooses (shared memory within a machine).
#
# Rank 0 also writes hpcc-host.txt: where it ran and the CPU it saw. Under KVM the vmdag site kit gives a
# guest the host's CPU (host-passthrough); under software emulation it sees QEMU's own model.
set -u
rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}
transport=default
if [ "${1:-}" = tcp ]; then
  transport=tcp
  OMPI_MCA_pml=ob1
  OMPI_MCA_btl=self,tcp
  export OMPI_MCA_pml OMPI_MCA_btl
fi
if [ "$rank" = 0 ]; then
  {
    echo "host=$(hostname)"
    echo "cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)"
    echo "cpus=$(grep -c '^processor' /proc/cpuinfo)"
    if grep -q '^flags.* hypervisor' /proc/cpuinfo; then echo "hypervisor_flag=yes"; else echo "hypervisor_flag=no"; fi
    echo "transport=$transport"
  } >hpcc-host.txt
fi
for hpcc in hpcc /usr/bin/hpcc; do
  if command -v "$hpcc" >/dev/null 2>&1; then exec "$hpcc"; fi
done
echo "run-hpcc.sh: no hpcc here (Debian's package hpcc; the lab's root and guest image have it)" >&2
exit 127
