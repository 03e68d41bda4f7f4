#!/bin/sh
# One MPI rank of the hpl-2vm example: run the guest image's HPL binary in the job's working directory,
# where HPL.dat was transferred. HPL writes its report to HPL.out (line "device out" of HPL.dat), which
# vmdag brings back into the run directory's outputs/.
for hpl in xhpl /usr/lib/hpl/xhpl /usr/local/bin/xhpl; do
  if command -v "$hpl" >/dev/null 2>&1; then exec "$hpl" "$@"; fi
done
echo "run-hpl.sh: no HPL binary (xhpl) in this image" >&2
exit 127
