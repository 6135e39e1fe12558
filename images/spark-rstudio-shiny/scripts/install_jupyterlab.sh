#!/usr/bin/env bash
# install_jupyterlab.sh WHEELS_DIR LOCK_FILE [PREFIX]
#   Installs JupyterLab and the Python kernel into a virtual environment at PREFIX (default
#   /opt/jupyter) from the wheels the host fetched, offline, each checked by pip against the
#   sha256 in LOCK_FILE (which may list one hash per architecture: pip takes the wheel that fits
#   this one). The environment sees Debian's Python packages (NumPy, pandas), and PySpark through
#   PYTHONPATH. The R kernel comes from Debian's r-cran-irkernel. WHEELS_DIR is only read.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wheels=${1:?usage: install_jupyterlab.sh WHEELS_DIR LOCK_FILE [PREFIX]}
lock=${2:?usage: install_jupyterlab.sh WHEELS_DIR LOCK_FILE [PREFIX]}
prefix=${3:-/opt/jupyter}

locked_python=$(sed -n 's/^# Generated .* for CPython \([0-9.]*\) .*/\1/p' "$lock")
actual_python=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
if [ -n "$locked_python" ] && [ "$locked_python" != "$actual_python" ]; then
	die "$lock is for CPython $locked_python and this base has $actual_python; regenerate it with PYTHON_VERSION=$actual_python bash scripts/lock-jupyterlab.sh"
fi
apt_install python3-venv
python3 -m venv --system-site-packages "$prefix"
"$prefix/bin/pip" install --no-cache-dir --no-index --no-deps --require-hashes --find-links "$wheels" -r "$lock"
# Not `pip check`: it would judge Debian's own packages too (the environment sees them).
"$prefix/bin/python" -c 'import jupyterlab, jupyter_server, ipykernel, terminado, argon2'
# What notebooks and executors use beside them, with Debian's NumPy and pandas (one of each).
"$prefix/bin/python" -c 'import matplotlib, pyarrow, pandas, numpy; matplotlib.use("agg"); print("matplotlib", matplotlib.__version__, "pyarrow", pyarrow.__version__, "pandas", pandas.__version__, "numpy", numpy.__version__)'
[ "$("$prefix/bin/python" -c 'import numpy, os; print(os.path.dirname(numpy.__file__))')" = /usr/lib/python3/dist-packages/numpy ] ||
	die "the environment has a NumPy of its own; Debian's is the one pandas was built with"
# JupyterLab's defaults for every user: no question about fetching Jupyter's news and no update
# checks (both calls to the internet a cluster need not make).
install -d "$prefix/share/jupyter/lab/settings"
cat >"$prefix/share/jupyter/lab/settings/overrides.json" <<-'EOM'
	{
	  "@jupyterlab/apputils-extension:notification": { "checkForUpdates": false, "fetchNews": "false" }
	}
EOM
"$prefix/bin/jupyter" lab --version
"$prefix/bin/jupyter" kernelspec list
record_version jupyterlab "$("$prefix/bin/jupyter" lab --version)"
# pyarrow's C++ headers, tests and sources are for building against it, not for using it.
rm -rf "$prefix"/lib/python3*/site-packages/pyarrow/include "$prefix"/lib/python3*/site-packages/pyarrow/tests "$prefix"/lib/python3*/site-packages/pyarrow/src
record_version matplotlib "$("$prefix/bin/python" -c 'import matplotlib; print(matplotlib.__version__)')"
record_version pyarrow "$("$prefix/bin/python" -c 'import pyarrow; print(pyarrow.__version__)')"
apt_cleanup
