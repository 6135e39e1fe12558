#!/usr/bin/env bash
# install_python.sh
#   Installs Debian's python3 and its shared library, which reticulate needs to embed Python in
#   R (without libpython it tries to download a Python of its own and fails offline), NumPy,
#   which PySpark's MLlib (pyspark.ml) imports, and pandas, which PySpark's toPandas() and
#   notebook users expect.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install python3 python3-minimal python3-numpy python3-pandas
py_minor=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
apt_install "libpython${py_minor}"
record_version python "$(python3 -c 'import platform; print(platform.python_version())')"
apt_cleanup
