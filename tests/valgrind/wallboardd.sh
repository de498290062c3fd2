#!/bin/sh
# Runs a command (normally wallboardd and its arguments) under valgrind's
# memcheck. The integration tests use it as WB_DAEMON_WRAPPER; it works by
# hand too:
#   tests/valgrind/wallboardd.sh build/engine/wallboardd --no-demo ...
# Exit status 99 means memcheck found an error: an invalid read or write, a
# use of uninitialised memory, a bad free or a definite leak. Only definite
# leaks count: memory still reachable at exit (caches, one-time
# initialisation) is not a leak the service can accumulate.
# The report goes to $WB_WRAPPER_LOG (%p is the process id), else to
# wallboardd.PID.valgrind.log in the current directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# G_SLICE=always-malloc and G_DEBUG=gc-friendly let memcheck see GLib's
# allocations one by one (no-ops on GLib >= 2.76, which always uses malloc).
export G_SLICE=always-malloc G_DEBUG=gc-friendly
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --suppressions="$here/../valgrind.supp" --num-callers=30 \
  --log-file="${WB_WRAPPER_LOG:-wallboardd.%p.valgrind.log}" "$@"
