#!/usr/bin/env bash
# Entrypoint of the spark-rstudio-shiny image.
#   SPARK_ROLE=master  runs the Spark master, Shiny Server, JupyterLab and (when installed)
#                      RStudio Server under supervisord.
#   SPARK_ROLE=worker  waits for the master, then runs one Spark worker in the foreground.
#   SPARK_ROLE unset   a one-container trial (docker run -p 8888:8888 IMAGE): a Spark master,
#                      one worker and JupyterLab under supervisord, everything but JupyterLab on
#                      loopback; missing secrets are generated, a generated password is shown once.
# Any other command given to the container is run as it is (e.g. `spark-submit ...`, `bash`).
set -Eeuo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_CONFIG=78

# log MESSAGE...
#   One line on stdout, tagged like the supervised processes.
log() {
	echo "[entrypoint] $*"
}

# fail EXIT_CODE
#   Prints stdin (a heredoc with the fix) to stderr and exits.
fail() {
	sed 's/^/[entrypoint] /' >&2
	exit "$1"
}

# validate_role
#   SPARK_ROLE must be master, worker or unset (the trial); anything else stops before anything
#   starts. Sets ROLE: master, worker or trial.
validate_role() {
	case "${SPARK_ROLE:-}" in
		master | worker) ROLE=$SPARK_ROLE ;;
		'') ROLE=trial ;;
		*)
			fail "$EX_USAGE" <<-EOM
				error: SPARK_ROLE must be "master" or "worker" (or unset, for a one-container trial), got "${SPARK_ROLE:-}".
				Set it with -e SPARK_ROLE=master (the head) or -e SPARK_ROLE=worker.
			EOM
			;;
	esac
}

# random_token BYTES
#   BYTES random bytes as URL-safe text.
random_token() {
	python3 -c 'import secrets, sys; print(secrets.token_urlsafe(int(sys.argv[1])))' "$1"
}

# prepare_trial
#   The trial is the whole cluster in this container, reached only through JupyterLab: the
#   master and the worker listen on loopback (SPARK_LOCAL_IP). Secrets given as files are used;
#   missing ones are generated into /run/srs (root's only), once per container, and a generated
#   IDE password is printed once, the first time.
prepare_trial() {
	SPARK_LOCAL_IP=127.0.0.1
	SPARK_MASTER_HOST=127.0.0.1
	SPARK_MASTER_URL=spark://127.0.0.1:$SPARK_MASTER_PORT
	install -d -o root -g root -m 0700 /run/srs
	: "${SPARK_AUTH_SECRET_FILE:=/run/secrets/spark_auth_secret}" "${IDE_PASSWORD_FILE:=/run/secrets/ide_password}"
	if [ ! -e "$SPARK_AUTH_SECRET_FILE" ]; then
		SPARK_AUTH_SECRET_FILE=/run/srs/spark_auth_secret
		[ -s "$SPARK_AUTH_SECRET_FILE" ] || random_token 32 | write_file "$SPARK_AUTH_SECRET_FILE" 0400 root:root
	fi
	if [ ! -e "$IDE_PASSWORD_FILE" ]; then
		IDE_PASSWORD_FILE=/run/srs/ide_password
		if [ ! -s "$IDE_PASSWORD_FILE" ]; then
			random_token 15 | write_file "$IDE_PASSWORD_FILE" 0400 root:root
			TRIAL_PASSWORD_GENERATED=true
		fi
	fi
}

# parse_master_url
#   Splits SPARK_MASTER_URL (spark://HOST:PORT) into MASTER_HOST and MASTER_PORT.
parse_master_url() {
	if ! [[ "$SPARK_MASTER_URL" =~ ^spark://([A-Za-z0-9._-]+):([0-9]{1,5})$ ]]; then
		fail "$EX_USAGE" <<-EOM
			error: SPARK_MASTER_URL must look like spark://HOST:PORT, got "$SPARK_MASTER_URL".
		EOM
	fi
	MASTER_HOST=${BASH_REMATCH[1]}
	MASTER_PORT=${BASH_REMATCH[2]}
}

# local_addresses
#   The container's IPv4 addresses, loopback excluded.
local_addresses() {
	ip -o -4 addr show scope global | awk '{ split($4, a, "/"); print a[1] }'
}

# resolve_ipv4 NAME
#   The IPv4 addresses NAME resolves to (with dnsrr, a Swarm service's task addresses).
resolve_ipv4() {
	getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1 }' | sort -u
}

# detect_local_ip
#   The address other containers reach this one at (Spark RPC and drivers bind and advertise it).
#   A container on a Swarm stack has several
#   (overlay, docker_gwbridge, ingress); the right one is on the network shared with the master:
#   the master finds its own address among those the master's name resolves to, a worker takes
#   the source address of its route to the master. SPARK_LOCAL_IP set by the user wins.
detect_local_ip() {
	if [ -n "${SPARK_LOCAL_IP:-}" ]; then
		echo "$SPARK_LOCAL_IP"
		return
	fi
	local addr mine resolved
	mine=$(local_addresses)
	# A Swarm task's own name may take a moment to appear in DNS; a worker only needs a route.
	local tries=1
	[ "$ROLE" = master ] && tries=10
	for _ in $(seq 1 "$tries"); do
		resolved=$(resolve_ipv4 "$MASTER_HOST")
		[ -n "$resolved" ] && break
		sleep 1
	done
	if [ -n "$resolved" ]; then
		for addr in $resolved; do
			if grep -qxF "$addr" <<<"$mine"; then
				echo "$addr"
				return
			fi
		done
		if [ "$ROLE" = worker ]; then
			addr=$(ip -o route get "$(head -n1 <<<"$resolved")" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
			if [ -n "$addr" ]; then
				echo "$addr"
				return
			fi
		fi
	fi
	head -n1 <<<"$mine"
}

# container_cpus
#   CPUs this container may use: its CFS quota (cgroup v1 or v2) rounded up, else the CPUs online.
container_cpus() {
	local online quota period
	online=$(nproc)
	if [ -r /sys/fs/cgroup/cpu.max ]; then
		read -r quota period </sys/fs/cgroup/cpu.max
	elif [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
		quota=$(</sys/fs/cgroup/cpu/cpu.cfs_quota_us)
		period=$(</sys/fs/cgroup/cpu/cpu.cfs_period_us)
	fi
	if [[ "${quota:-max}" =~ ^[0-9]+$ ]] && [ "$quota" -gt 0 ]; then
		local limited=$(((quota + period - 1) / period))
		[ "$limited" -lt "$online" ] && online=$limited
	fi
	echo "$online"
}

# container_memory_mb
#   Memory this container may use in MiB: its cgroup limit (v1 or v2), else the machine's.
container_memory_mb() {
	local total limit=
	total=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
	if [ -r /sys/fs/cgroup/memory.max ]; then
		limit=$(</sys/fs/cgroup/memory.max)
	elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		limit=$(</sys/fs/cgroup/memory/memory.limit_in_bytes)
	fi
	if [[ "$limit" =~ ^[0-9]+$ ]] && [ $((limit / 1048576)) -lt "$total" ]; then
		total=$((limit / 1048576))
	fi
	echo "$total"
}

# is_true VALUE
is_true() {
	case "${1,,}" in
		true | 1 | yes | on) return 0 ;;
		false | 0 | no | off | '') return 1 ;;
		*)
			fail "$EX_USAGE" <<-EOM
				error: expected true or false, got "$1".
			EOM
			;;
	esac
}

# require_port NAME
#   The variable NAME must hold a TCP port number.
require_port() {
	local value=${!1}
	if ! [[ "$value" =~ ^[0-9]{1,5}$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
		echo "error: $1 must be a port number from 1 to 65535, got \"$value\"." | fail "$EX_USAGE"
	fi
}

# require_address NAME
#   The variable NAME, when set, must be an IPv4 address or a host name: it is written into
#   spark-env.sh, which every spark-submit sources.
require_address() {
	local value=${!1:-}
	[ -z "$value" ] && return 0
	if ! [[ "$value" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$ ]]; then
		echo "error: $1 must be an IPv4 address or a host name, got \"$value\"." | fail "$EX_USAGE"
	fi
}

# require_url NAME
#   The variable NAME, when set, must be an http(s) URL of plain characters: it is written into
#   spark-defaults.conf.
require_url() {
	local value=${!1:-} pattern='^https?://[]A-Za-z0-9.:/_[-]+$'
	[ -z "$value" ] && return 0
	if ! [[ "$value" =~ $pattern ]]; then
		echo "error: $1 must be an http(s) URL, got \"$value\"." | fail "$EX_USAGE"
	fi
}

# write_file PATH MODE OWNER
#   Writes stdin to PATH through a temporary file in the same folder and a rename, so a reader
#   never sees half a file and a link planted at PATH is replaced, never followed.
write_file() {
	local target=$1 mode=$2 owner=$3 temporary
	temporary=$(mktemp "$(dirname "$target")/.srs-XXXXXX")
	cat >"$temporary"
	chown "$owner" "$temporary"
	chmod "$mode" "$temporary"
	mv -f "$temporary" "$target"
}

# read_secret_file PATH
#   The file's content without trailing newlines. Secrets are read from files (Docker secrets)
#   only: a value in the environment would show in `docker inspect`.
read_secret_file() {
	printf '%s' "$(<"$1")"
}

# configure_auth
#   Spark RPC authentication is on unless SPARK_AUTHENTICATE=false: every Spark process here
#   (master, worker, drivers started from R or spark-submit) must hold the shared secret, read
#   from the file SPARK_AUTH_SECRET_FILE (a Docker secret). Sets SPARK_AUTH_SECRET for
#   configure_spark, which writes it where only the spark group can read it.
configure_auth() {
	if [ -n "${SPARK_AUTH_SECRET:-}" ]; then
		fail "$EX_CONFIG" <<-EOM
			error: SPARK_AUTH_SECRET is set in the environment, where \`docker inspect\` shows it to anyone.
			Put the secret in a Docker secret and point SPARK_AUTH_SECRET_FILE at it (default /run/secrets/spark_auth_secret).
		EOM
	fi
	: "${SPARK_AUTHENTICATE:=true}" "${SPARK_NETWORK_CRYPTO:=false}"
	: "${SPARK_AUTH_SECRET_FILE:=/run/secrets/spark_auth_secret}"
	SPARK_AUTH_SECRET=
	is_true "$SPARK_NETWORK_CRYPTO" || :
	if ! is_true "$SPARK_AUTHENTICATE"; then
		log "WARNING: Spark authentication is OFF (SPARK_AUTHENTICATE=$SPARK_AUTHENTICATE): anyone who reaches port $MASTER_PORT can run code on this cluster"
		is_true "$SPARK_NETWORK_CRYPTO" && echo "error: SPARK_NETWORK_CRYPTO=true needs SPARK_AUTHENTICATE=true." | fail "$EX_CONFIG"
		return 0
	fi
	if [ ! -r "$SPARK_AUTH_SECRET_FILE" ]; then
		fail "$EX_CONFIG" <<-EOM
			error: Spark authentication is on and there is no secret at $SPARK_AUTH_SECRET_FILE.
			Give every service the same Docker secret (srs up creates one), e.g.
			  openssl rand -hex 32 | docker secret create srs_spark_auth_secret -
			or set SPARK_AUTH_SECRET_FILE to a file that holds it.
			Only on a private network: SPARK_AUTHENTICATE=false turns authentication off.
		EOM
	fi
	SPARK_AUTH_SECRET=$(read_secret_file "$SPARK_AUTH_SECRET_FILE")
	if [ "${#SPARK_AUTH_SECRET}" -lt 16 ] || [[ "$SPARK_AUTH_SECRET" =~ [[:space:]] ]]; then
		fail "$EX_CONFIG" <<-EOM
			error: the Spark secret in $SPARK_AUTH_SECRET_FILE is too short or has spaces (${#SPARK_AUTH_SECRET} characters; at least 16, no spaces).
			Generate one with: openssl rand -hex 32
		EOM
	fi
	log "Spark RPC authentication on (secret from $SPARK_AUTH_SECRET_FILE)$(is_true "$SPARK_NETWORK_CRYPTO" && echo ', RPC encryption on')"
}

# configure_ide_user
#   The IDE login (JupyterLab, and RStudio Server when installed): user IDE_USER (default
#   analyst) with the password from the file IDE_PASSWORD_FILE (a Docker secret). A missing,
#   empty, short or multi-line password is refused. The user may use the cluster (group spark),
#   publish Shiny apps (group shiny-authors) and keeps its files in /home (a volume).
configure_ide_user() {
	if [ -n "${IDE_PASSWORD:-}" ] || [ -n "${RSTUDIO_PASSWORD:-}" ] || [ -n "${PASSWORD:-}" ]; then
		fail "$EX_CONFIG" <<-EOM
			error: an IDE password is set in the environment, where \`docker inspect\` shows it to anyone.
			Put it in a Docker secret and point IDE_PASSWORD_FILE at it (default /run/secrets/ide_password).
		EOM
	fi
	: "${IDE_USER:=analyst}" "${IDE_PASSWORD_FILE:=/run/secrets/ide_password}"
	if ! [[ "$IDE_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
		echo "error: IDE_USER must be a plain user name (lower-case letters, digits, _ or -), got \"$IDE_USER\"." | fail "$EX_USAGE"
	fi
	# An account of the image itself (root, spark, shiny, daemon, www-data, nobody…) is never the
	# login: system ids are below 1000, and nobody is 65534, past the range of people.
	local existing
	if existing=$(id -u "$IDE_USER" 2>/dev/null) && { [ "$existing" -lt 1000 ] || [ "$existing" -ge 60000 ]; }; then
		echo "error: IDE_USER \"$IDE_USER\" names a system account of the image; choose another name." | fail "$EX_USAGE"
	fi
	if [ ! -r "$IDE_PASSWORD_FILE" ]; then
		fail "$EX_CONFIG" <<-EOM
			error: no IDE password at $IDE_PASSWORD_FILE; JupyterLab (and RStudio) never run without a login.
			Give a Docker secret (srs up creates one) or set IDE_PASSWORD_FILE.
		EOM
	fi
	IDE_PASSWORD_VALUE=$(read_secret_file "$IDE_PASSWORD_FILE")
	if [ -z "$IDE_PASSWORD_VALUE" ]; then
		echo "error: the IDE password in $IDE_PASSWORD_FILE is empty; refusing to start." | fail "$EX_CONFIG"
	fi
	if [ "${#IDE_PASSWORD_VALUE}" -lt 8 ]; then
		echo "error: the IDE password in $IDE_PASSWORD_FILE is shorter than 8 characters; refusing to start." | fail "$EX_CONFIG"
	fi
	if [[ "$IDE_PASSWORD_VALUE" == *$'\n'* ]] || [[ "$IDE_PASSWORD_VALUE" =~ [[:cntrl:]] ]]; then
		echo "error: the IDE password in $IDE_PASSWORD_FILE holds a line break or a control character; refusing to start." | fail "$EX_CONFIG"
	fi
	if ! id "$IDE_USER" >/dev/null 2>&1; then
		# uid 1000 when free: the home volume keeps its owner across images.
		local uid=()
		getent passwd 1000 >/dev/null || uid=(--uid 1000)
		useradd "${uid[@]}" --no-create-home --home-dir "/home/$IDE_USER" --shell /bin/bash --groups spark,shiny-authors "$IDE_USER"
	else
		usermod --append --groups spark,shiny-authors "$IDE_USER"
	fi
	if [ ! -d "/home/$IDE_USER" ]; then
		install -d -o "$IDE_USER" -g "$IDE_USER" -m 0750 "/home/$IDE_USER"
		cp -rT /etc/skel "/home/$IDE_USER"
		chown -R "$IDE_USER:" "/home/$IDE_USER"
	fi
	if rstudio_installed; then
		# RStudio logs in through PAM; chpasswd reads the pair on stdin, never a command line.
		printf '%s:%s\n' "$IDE_USER" "$IDE_PASSWORD_VALUE" | chpasswd
	fi
	if [ "${TRIAL_PASSWORD_GENERATED:-false}" = true ]; then
		# The one time it is shown: later starts of this container keep it and say where it is.
		log "IDE login: user $IDE_USER, password $IDE_PASSWORD_VALUE (generated for this container; it is not shown again, and root can read it in $IDE_PASSWORD_FILE)"
	else
		log "IDE login: user $IDE_USER, password from $IDE_PASSWORD_FILE"
	fi
}

# configure_jupyterlab
#   JupyterLab's settings, with the IDE password only as an argon2 hash, in a file the IDE user
#   alone may read (the server runs as that user): no token, XSRF checks on, the home as root.
configure_jupyterlab() {
	require_port JUPYTER_PORT
	local hashed
	# The password reaches Python on stdin: never in an argument or the environment.
	hashed=$(printf '%s' "$IDE_PASSWORD_VALUE" | /opt/jupyter/bin/python -c 'import sys; from jupyter_server.auth import passwd; print(passwd(sys.stdin.read()))')
	install -d -o root -g root -m 0755 /etc/srs/jupyter
	write_file /etc/srs/jupyter/jupyter_server_config.json 0640 "root:$IDE_USER" <<-EOM
		{
		  "ServerApp": {
		    "ip": "0.0.0.0",
		    "port": $JUPYTER_PORT,
		    "open_browser": false,
		    "allow_remote_access": true,
		    "root_dir": "/home/$IDE_USER",
		    "disable_check_xsrf": false,
		    "terminado_settings": { "shell_command": ["/bin/bash", "-l"] }
		  },
		  "IdentityProvider": { "token": "" },
		  "PasswordIdentityProvider": { "hashed_password": "$hashed", "password_required": true, "allow_password_change": false },
		  "LabApp": { "check_for_updates_class": "jupyterlab.NeverCheckForUpdate" }
		}
	EOM
}

# prepare_shiny_apps
#   /srv/shiny-server is a volume: app authors (group shiny-authors: the IDE user) write apps
#   in it, the shiny user only reads and runs them; Shiny's bookmarks are the shiny user's. The
#   image's own apps (the Spark demo) are copied in at every start, so a new image brings its new
#   version, unless the user took one over by deleting its .srs-bundled marker. SHINY_DEMO=false
#   publishes none of them (and removes the copies an earlier start made).
prepare_shiny_apps() {
	mkdir -p /srv/shiny-server /var/lib/shiny-server/bookmarks /var/log/shiny-server
	chown root:shiny-authors /srv/shiny-server
	chmod 2775 /srv/shiny-server
	local app name target demo=true
	is_true "${SHINY_DEMO:-true}" || demo=false
	for app in /usr/local/share/srs/apps/*/; do
		[ -d "$app" ] || continue
		name=$(basename "$app")
		target=/srv/shiny-server/$name
		if [ -e "$target" ] && [ ! -e "$target/.srs-bundled" ]; then
			log "keeping your version of the Shiny app $name (no .srs-bundled marker in it)"
			continue
		fi
		rm -rf "$target"
		if [ "$demo" = false ]; then
			log "not publishing the bundled Shiny app $name (SHINY_DEMO=false)"
			continue
		fi
		cp -R "$app" "$target"
		echo "Copied from the image at every start; delete this file to keep your changes." >"$target/.srs-bundled"
		chown -R root:shiny-authors "$target"
		chmod -R g+w,o-w "$target"
	done
	write_shiny_landing_page "$demo"
	chown -R shiny:shiny /var/lib/shiny-server /var/log/shiny-server
}

# write_shiny_landing_page DEMO
#   What a browser sees at Shiny's root: with no folder listing, a page that says where apps go
#   and links the bundled ones (only those: an author's app is reached by its address). A page
#   the user wrote (no srs-generated marker) is kept.
write_shiny_landing_page() {
	local page=/srv/shiny-server/index.html links='' name
	if [ -e "$page" ] && ! grep -q 'srs-generated' "$page"; then
		log 'keeping your Shiny landing page (index.html without the srs-generated marker)'
		return 0
	fi
	if [ "$1" = true ]; then
		for name in /usr/local/share/srs/apps/*/; do
			[ -d "$name" ] || continue
			name=$(basename "$name")
			links="$links<li><a href=\"$name/\">$name</a></li>"
		done
	fi
	[ -n "$links" ] || links='<li>none published</li>'
	cat >"$page" <<-EOM
		<!doctype html>
		<!-- srs-generated: rewritten at every start; delete this line to keep your own page. -->
		<html lang="en"><head><meta charset="utf-8"><title>Shiny apps</title></head>
		<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
		<h1>Shiny apps</h1>
		<p>Bundled apps:</p><ul>$links</ul>
		<p>Your apps: a folder with an <code>app.R</code> in <code>/srv/shiny-server</code>
		(from RStudio or JupyterLab), then open <code>/&lt;folder&gt;/</code> here.</p>
		</body></html>
	EOM
	chown root:shiny-authors "$page"
	chmod 0664 "$page"
}

# configure_shiny
#   Shiny Server listens on SHINY_PORT.
configure_shiny() {
	require_port SHINY_PORT
	sed "s/^\(  listen \)[0-9]*\( .*\)$/\1$SHINY_PORT\2/" /etc/shiny-server/shiny-server.conf | write_file /etc/shiny-server/shiny-server.conf 0644 root:root
}

# configure_spark
#   Writes the settings every Spark process in this container reads: spark-env.sh (sourced by
#   spark-class and spark-submit, so drivers started from R get it too) and spark-defaults.conf.
configure_spark() {
	{
		cat <<-EOM
			# Written by docker-entrypoint.sh at container start. SPARK_LOCAL_IP is left unset on
			# purpose in a cluster: Spark binds its web UIs to it, and they must answer on every
			# interface (health checks on loopback, host-mode published ports). RPC addresses are set
			# explicitly instead. The one-container trial sets it to loopback: nothing but JupyterLab
			# listens on another interface there.
			export SPARK_MASTER_HOST=$SPARK_MASTER_HOST
			# A replaced master keeps its service name and changes address: the daemons must not keep
			# an address the JVM's DNS cache holds for 30 s.
			export SPARK_DAEMON_JAVA_OPTS="-Dsun.net.inetaddr.ttl=5 -Dsun.net.inetaddr.negative.ttl=1"
		EOM
		if [ "$ROLE" = trial ]; then echo "export SPARK_LOCAL_IP=127.0.0.1"; fi
	} | write_file "$SPARK_HOME/conf/spark-env.sh" 0644 root:root
	if [ -n "${SPARK_EXECUTOR_MEMORY:-}" ] && ! [[ "$SPARK_EXECUTOR_MEMORY" =~ ^[0-9]+[kmgKMG]?$ ]]; then
		echo "error: SPARK_EXECUTOR_MEMORY must be a size like 512m or 1g, got \"$SPARK_EXECUTOR_MEMORY\"." | fail "$EX_USAGE"
	fi
	# Readable by the spark group only (Spark daemons, Shiny's R sessions, the IDE user): it holds
	# the secret.
	{
		cat <<-EOM
			# Written by docker-entrypoint.sh at container start.
			spark.master                     $SPARK_MASTER_URL
			spark.driver.host                $ADVERTISE_IP
			spark.driver.bindAddress         $ADVERTISE_IP
			# REST submission (port 6066) is unauthenticated (CVE-2018-11770): always off.
			spark.master.rest.enabled        false
			spark.worker.cleanup.enabled     true
			# A replaced master comes back at another address: workers reconnect by the name in the
			# master URL (the service name), not by the address the old master gave them.
			spark.worker.preferConfiguredMasterAddress   true
			# ... and keep asking every 5 to 15 s for 10 minutes (Spark's default slows to every
			# minute after 6 tries, which left workers a minute behind a master that was back).
			spark.worker.initialRegistrationRetries      60
			spark.worker.maxRegistrationRetries          100
			# The master keeps its workers and applications in the master-work volume and recovers
			# them when it restarts; drivers and workers it cannot reach are dropped after the
			# worker timeout (30 s, so a recovery does not wait Spark's default minute).
			spark.deploy.recoveryMode        FILESYSTEM
			spark.deploy.recoveryDirectory   $SPARK_HOME/work/recovery
			spark.worker.timeout             30
			# A worker that is stopped (scale-down, node drained: Swarm sends SIGPWR, see the stack)
			# decommissions: its executors hand their shuffle and cached blocks to the others first.
			spark.decommission.enabled                        true
			spark.storage.decommission.enabled                true
			spark.storage.decommission.shuffleBlocks.enabled  true
			spark.storage.decommission.rddBlocks.enabled      true
			# A decommissioned executor exits once a round finds no block left to move; rounds are
			# 30 s apart by default, which kept each executor given back a further 30 s after its
			# blocks had moved (in milliseconds), and a waiting driver without its cores.
			spark.storage.decommission.replicationReattemptInterval  2s
			# Dates and times mean the same in R, Python and Spark whatever the machine's zone.
			spark.sql.session.timeZone       UTC
			# One Python for drivers and executors, the same on every node: the image's environment
			# (JupyterLab's kernel, matplotlib, pyarrow for pandas UDFs, Debian's NumPy and pandas).
			spark.pyspark.python             /opt/jupyter/bin/python
			# Files in /data are written by executors (user spark) and committed by drivers (the IDE
			# user, shiny): both in group spark, so both must leave them group-writable.
			spark.hadoop.fs.permissions.umask-mode   002
			# Drivers in the head (the Shiny apps, notebooks, scripts) share the workers: each
			# takes executors while it has work and gives them back after 30 s idle, so an open
			# Shiny app never leaves a notebook's job waiting for resources. An executor given back
			# is decommissioned: its shuffle blocks move to the app's other executors first (this
			# stands in for an external shuffle service; shuffle tracking is off, since Spark keeps
			# idle executors when both are on).
			spark.dynamicAllocation.enabled                   true
			spark.dynamicAllocation.shuffleTracking.enabled   false
			spark.dynamicAllocation.executorIdleTimeout       30s
			spark.dynamicAllocation.minExecutors              0
			# One executor is asked for as the driver starts, so its JVM starts while the driver
			# does, not after the first job has waited a second for it: a PySpark newcomer's first
			# job came 9.2-10.9 s after its start instead of 13.6-15.0 s. It goes back after the
			# idle timeout like the others if no job comes.
			spark.dynamicAllocation.initialExecutors          1
		EOM
		if [ -n "${SPARK_EXECUTOR_MEMORY:-}" ]; then
			echo "spark.executor.memory            $SPARK_EXECUTOR_MEMORY"
		fi
		# Executors map the classes they load from the image's archive (JDK class data sharing, see
		# make_executor_class_archive.sh), which holds only for the jars in the order it was made
		# with: they come first on the executors' class path. An application that sets its own
		# spark.executor.extraClassPath runs without the archive (its executors say so on stdout).
		if [ -s "$SPARK_HOME/cds/executor.jsa" ] && [ -s "$SPARK_HOME/cds/executor.jsa.classpath" ]; then
			echo "spark.executor.defaultJavaOptions  -XX:SharedArchiveFile=$SPARK_HOME/cds/executor.jsa"
			echo "spark.executor.extraClassPath      $(cat "$SPARK_HOME/cds/executor.jsa.classpath")"
		fi
		# Every UI one click away from the master's: it proxies each worker's page and each running
		# application's UI (/proxy/<id>/), which a browser outside the overlay could not reach.
		# Kill links are off: those pages are open to whoever reaches the master UI.
		echo "spark.ui.reverseProxy            true"
		echo "spark.ui.killEnabled             false"
		# Behind the front door the master UI is at /spark/: every link it and the UIs it proxies
		# write starts there (workers and drivers read this file too).
		if [ -n "${SPARK_UI_PROXY_PATH:-}" ]; then echo "spark.ui.reverseProxyUrl         $SPARK_UI_PROXY_PATH"; fi
		if [ "$ROLE" != worker ]; then
			# The drivers of the head log warnings and errors, without the start-up noise, and no
			# progress bar (a driver's conf may ask for it); they log their events for the history
			# server (the events volume).
			echo "spark.driver.extraJavaOptions    -Dlog4j2.configurationFile=file:/etc/srs/log4j2-driver.properties"
			echo "spark.ui.showConsoleProgress     false"
			# Each driver's UI on a free port (reached through the master's proxy): many drivers
			# share the head, and each one after the first warned that 4040 was taken.
			echo "spark.ui.port                    0"
			echo "spark.eventLog.enabled           true"
			echo "spark.eventLog.dir               file:$SPARK_HOME/events"
			echo "spark.history.fs.logDirectory    file:$SPARK_HOME/events"
			echo "spark.history.ui.port            $SPARK_HISTORY_UI_PORT"
			echo "spark.history.fs.cleaner.enabled true"
			echo "spark.history.fs.cleaner.maxAge  14d"
			if [ -n "${SPARK_HISTORY_URL:-}" ]; then echo "spark.master.ui.historyServerUrl $SPARK_HISTORY_URL"; fi
		fi
		if [ -n "$SPARK_AUTH_SECRET" ]; then
			echo "spark.authenticate               true"
			echo "spark.authenticate.secret        $SPARK_AUTH_SECRET"
			echo "spark.network.crypto.enabled     $(is_true "$SPARK_NETWORK_CRYPTO" && echo true || echo false)"
		fi
	} | write_file "$SPARK_HOME/conf/spark-defaults.conf" 0640 root:spark
}

# prepare_data_dir
#   /data (the stack's data volume, shared by the head and every worker) is written by Spark's
#   executors (spark) and drivers (group spark): group spark, setgid, group-writable.
prepare_data_dir() {
	[ -d /data ] || return 0
	chown root:spark /data
	chmod 2775 /data
}

# configure_r
#   R started by Shiny Server, JupyterLab or RStudio does not inherit the container's environment;
#   give
#   every R session what it needs to open a Spark session against this cluster.
configure_r() {
	local site=/etc/R/Renviron.site
	[ -d /etc/R ] || return 0
	{
		sed '/^# BEGIN spark-rstudio-shiny/,/^# END spark-rstudio-shiny/d' "$site" 2>/dev/null || true
		cat <<-EOM
			# BEGIN spark-rstudio-shiny (written by docker-entrypoint.sh)
			SPARK_HOME=$SPARK_HOME
			SPARK_MASTER_URL=$SPARK_MASTER_URL
			SPARK_MASTER_WEBUI_PORT=$SPARK_MASTER_WEBUI_PORT
			JAVA_HOME=$JAVA_HOME
			RETICULATE_PYTHON=$RETICULATE_PYTHON
			PYSPARK_PYTHON=/opt/jupyter/bin/python
			PYTHONPATH=$PYTHONPATH
			LANG=C.UTF-8
			# END spark-rstudio-shiny
		EOM
	} | write_file "$site" 0644 root:root
}

# wait_for_master
#   Bounded TCP probe of the master's RPC port; gives up after SPARK_MASTER_WAIT_SECONDS.
wait_for_master() {
	local deadline=$((SECONDS + SPARK_MASTER_WAIT_SECONDS))
	log "waiting up to ${SPARK_MASTER_WAIT_SECONDS}s for the Spark master at $MASTER_HOST:$MASTER_PORT"
	until timeout 2 bash -c "exec 3<>/dev/tcp/$MASTER_HOST/$MASTER_PORT" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "$EX_UNAVAILABLE" <<-EOM
				error: the Spark master at $SPARK_MASTER_URL did not answer within ${SPARK_MASTER_WAIT_SECONDS}s.
				Check that the master runs and shares a network with this worker,
				or raise SPARK_MASTER_WAIT_SECONDS.
			EOM
		fi
		sleep 1
	done
	log "the Spark master answers at $MASTER_HOST:$MASTER_PORT"
}

# rstudio_installed
rstudio_installed() {
	[ -x /usr/lib/rstudio-server/bin/rserver ]
}

# as_spark COMMAND...
#   Runs COMMAND as the spark user: what is done in the spark user's volumes is done with the
#   spark user's rights, so nothing planted there can make root act elsewhere.
as_spark() {
	setpriv --reuid=spark --regid=spark --init-groups -- "$@"
}

# prepare_recovery_dir
#   Where the master keeps its state for recovery (in the master-work volume), the spark user's.
#   Whatever is at that path and is not a folder (a link the spark user planted, to conf/ or /etc)
#   is removed by root without being followed; the folder is made and cleaned as spark.
#   A new head container forgets the applications the previous one recorded: their drivers ran
#   in that container and are gone, and a recovering master would wait the worker timeout for
#   each before serving anyone. The workers are kept: they come back and are recovered. (A master
#   that supervisord restarts inside this container keeps everything: its drivers live on.)
prepare_recovery_dir() {
	local dir="$SPARK_HOME/work/recovery" stale
	if [ -L "$dir" ] || { [ -e "$dir" ] && [ ! -d "$dir" ]; }; then
		log "removing $dir: it is not a folder (a link or a file in the volume), and it is never followed"
		rm -f -- "$dir"
	fi
	as_spark mkdir -p -m 0750 -- "$dir"
	stale=$(as_spark find "$dir" -maxdepth 1 -type f \( -name 'app_*' -o -name 'driver_*' \) | wc -l)
	if [ "$stale" -gt 0 ]; then
		as_spark find "$dir" -maxdepth 1 -type f \( -name 'app_*' -o -name 'driver_*' \) -delete
		log "forgot $stale application(s) of the previous head container (their drivers ran in it)"
	fi
}

# configure_spark_connect
#   When SPARK_CONNECT_PORT is set (the stack's ports.sparkConnect), the head also runs Spark
#   Connect there, and only with a token: read from SPARK_CONNECT_TOKEN_FILE (a Docker secret),
#   written to a file the spark user alone reads, never to the environment or a command line.
configure_spark_connect() {
	[ -n "${SPARK_CONNECT_PORT:-}" ] || return 0
	require_port SPARK_CONNECT_PORT
	local file=${SPARK_CONNECT_TOKEN_FILE:-/run/secrets/connect_token} token
	if [ ! -r "$file" ]; then
		echo "error: Spark Connect is on (SPARK_CONNECT_PORT) but there is no token at $file; it never runs without one." | fail "$EX_CONFIG"
	fi
	token=$(read_secret_file "$file")
	if [ "${#token}" -lt 32 ] || ! [[ "$token" =~ ^[A-Za-z0-9_-]+$ ]]; then
		echo "error: the Spark Connect token in $file must be at least 32 letters, digits, \"-\" or \"_\"; refusing to start." | fail "$EX_CONFIG"
	fi
	install -d -o root -g root -m 0755 /run/srs
	{
		echo "# Written by docker-entrypoint.sh at container start; read by the spark user only."
		echo "spark.connect.grpc.binding.port      $SPARK_CONNECT_PORT"
		# Behind the front door (its TLS port), nothing else reaches it.
		if [ -n "${FRONT_DOOR_CONNECT_PORT:-}" ]; then echo "spark.connect.grpc.binding.address   127.0.0.1"; fi
		echo "spark.connect.authenticate.token     $token"
	} | write_file /run/srs/spark-connect.properties 0400 spark:spark
	log "Spark Connect on :$SPARK_CONNECT_PORT, with the token from $file"
}

# configure_front_door
#   When FRONT_DOOR_PORT is set (the stack's ports.https), the head serves everything through
#   nginx on that port over TLS, behind the IDE login (see srs-front-door-conf). The certificate
#   and key come from files (Docker secrets: the stack's own CA's, or the user's); a missing or
#   unreadable one, or a key that is not the certificate's, stops the start.
configure_front_door() {
	[ -n "${FRONT_DOOR_PORT:-}" ] || return 0
	require_port FRONT_DOOR_PORT
	if [ -n "${FRONT_DOOR_CONNECT_PORT:-}" ]; then
		require_port FRONT_DOOR_CONNECT_PORT
		[ -n "${SPARK_CONNECT_PORT:-}" ] || echo "error: FRONT_DOOR_CONNECT_PORT needs Spark Connect (SPARK_CONNECT_PORT)." | fail "$EX_CONFIG"
	fi
	: "${TLS_CERT_FILE:=/run/secrets/tls_cert}" "${TLS_KEY_FILE:=/run/secrets/tls_key}"
	local file
	for file in "$TLS_CERT_FILE" "$TLS_KEY_FILE"; do
		if [ ! -s "$file" ]; then
			echo "error: the front door (FRONT_DOOR_PORT) needs a TLS certificate and key, and $file is missing or empty." | fail "$EX_CONFIG"
		fi
	done
	if ! openssl x509 -noout -in "$TLS_CERT_FILE" 2>/dev/null; then
		echo "error: $TLS_CERT_FILE is not a PEM certificate." | fail "$EX_CONFIG"
	fi
	if [ "$(openssl x509 -noout -pubkey -in "$TLS_CERT_FILE" | sha256sum)" != "$(openssl pkey -pubout -in "$TLS_KEY_FILE" 2>/dev/null | sha256sum)" ]; then
		echo "error: the key in $TLS_KEY_FILE is not the key of the certificate in $TLS_CERT_FILE." | fail "$EX_CONFIG"
	fi
	local public=
	is_true "${SHINY_DEMO:-true}" && public=spark-demo
	install -d -o root -g root -m 0755 /run/srs /run/srs/front-door
	PUBLIC_SHINY_APPS=$public WITH_RSTUDIO=$(rstudio_installed && echo true || echo false) \
		TLS_CERT_FILE=$TLS_CERT_FILE TLS_KEY_FILE=$TLS_KEY_FILE \
		SPARK_HISTORY_UI_PORT=$SPARK_HISTORY_UI_PORT srs-front-door-conf |
		write_file /run/srs/front-door/nginx.conf 0644 root:root
	local checked
	if ! checked=$(nginx -t -q -c /run/srs/front-door/nginx.conf 2>&1); then
		{
			echo "error: the front door's nginx configuration does not load:"
			echo "$checked"
		} | fail "$EX_CONFIG"
	fi
	log "front door on :$FRONT_DOOR_PORT (HTTPS, the IDE login in front of /spark/, /history/, /shiny/${public:+; public: /shiny/$public/})"
}

# start_master
#   Enables the supervised programs this image has, then hands over to supervisord.
start_master() {
	local enabled=/etc/srs/supervisor/enabled
	mkdir -p "$enabled"
	rm -f "$enabled"/*.conf
	ln -s ../available/spark-master.conf ../available/shiny-server.conf \
		../available/jupyterlab.conf ../available/spark-history.conf "$enabled/"
	if is_true "${SHINY_DEMO:-true}"; then ln -s ../available/shiny-warm.conf "$enabled/"; fi
	if [ -n "${SPARK_CONNECT_PORT:-}" ]; then ln -s ../available/spark-connect.conf "$enabled/"; fi
	if [ -n "${FRONT_DOOR_PORT:-}" ]; then ln -s ../available/front-door.conf "$enabled/"; fi
	if rstudio_installed; then
		ln -s ../available/rstudio-server.conf "$enabled/"
	else
		log "RStudio Server is not installed in this image (see the label org.spark-rstudio-shiny.rstudio); JupyterLab is the IDE"
	fi
	export IDE_USER
	log "starting the head: Spark master on $SPARK_MASTER_HOST:$SPARK_MASTER_PORT (UI :$SPARK_MASTER_WEBUI_PORT), Shiny Server :$SHINY_PORT, JupyterLab :$JUPYTER_PORT$(rstudio_installed && echo ", RStudio Server :$RSTUDIO_PORT")"
	exec supervisord --nodaemon --configuration /etc/srs/supervisord.conf
}

# start_trial
#   The master, one worker and JupyterLab under supervisord.
start_trial() {
	local enabled=/etc/srs/supervisor/enabled
	mkdir -p "$enabled"
	rm -f "$enabled"/*.conf
	ln -s ../available/spark-master.conf ../available/spark-worker.conf \
		../available/jupyterlab.conf ../available/spark-history.conf "$enabled/"
	export IDE_USER SPARK_MASTER_URL
	log "starting the one-container trial: Spark master and one worker ($SPARK_WORKER_CORES cores, $SPARK_WORKER_MEMORY) on loopback, JupyterLab on :$JUPYTER_PORT (publish it: docker run -p $JUPYTER_PORT:$JUPYTER_PORT …); for a real cluster, see srs up"
	exec supervisord --nodaemon --configuration /etc/srs/supervisord.conf
}

# start_worker
#   Runs one Spark worker as the spark user, and stops it gently: on SIGTERM (docker stop, a
#   scale-down, a node drained) the worker is first decommissioned (SIGPWR: its executors hand
#   their shuffle and cached blocks to the other workers and leave), then stopped once it has no
#   executors left, or after SPARK_WORKER_DECOMMISSION_SECONDS. An idle worker stops at once.
start_worker() {
	wait_for_master
	log "starting a Spark worker with $SPARK_WORKER_CORES cores and $SPARK_WORKER_MEMORY on $ADVERTISE_IP"
	# A session of its own: tini passes signals to the entrypoint's process group, and the worker
	# must get SIGPWR from decommission_worker first, not SIGTERM from tini.
	setsid setpriv --reuid=spark --regid=spark --init-groups \
		env HOME="$SPARK_HOME" \
		srs-log-prefix spark-worker \
		"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
		--host "$ADVERTISE_IP" \
		--cores "$SPARK_WORKER_CORES" \
		--memory "$SPARK_WORKER_MEMORY" \
		--webui-port "$SPARK_WORKER_WEBUI_PORT" \
		--work-dir "$SPARK_HOME/work" \
		"$SPARK_MASTER_URL" &
	WORKER_PID=$!
	trap decommission_worker TERM INT
	local status=0
	# wait returns early when a trapped signal arrives; the trap then stops the worker.
	while kill -0 "$WORKER_PID" 2>/dev/null; do
		wait "$WORKER_PID" || status=$?
	done
	exit "$status"
}

# worker_executors
#   How many executors the worker runs now, from its own /json/ (0 when it does not answer).
worker_executors() {
	curl -fsS --max-time 2 "http://127.0.0.1:$SPARK_WORKER_WEBUI_PORT/json/" 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin).get("executors", [])))' 2>/dev/null || echo 0
}

# decommission_worker
#   SIGTERM handler of the worker role (see start_worker).
decommission_worker() {
	trap - TERM INT
	local deadline=$((SECONDS + SPARK_WORKER_DECOMMISSION_SECONDS)) executors
	executors=$(worker_executors)
	if [ "$executors" -gt 0 ]; then
		log "stopping: decommissioning the worker first ($executors executor(s) hand over their blocks, at most ${SPARK_WORKER_DECOMMISSION_SECONDS}s)"
		kill -PWR "$WORKER_PID" 2>/dev/null || true
		while [ "$SECONDS" -lt "$deadline" ] && [ "$(worker_executors)" -gt 0 ]; do
			sleep 1
		done
	fi
	log "stopping the worker"
	kill -TERM "$WORKER_PID" 2>/dev/null || true
}

_main() {
	if [ "$#" -gt 0 ]; then
		exec "$@"
	fi
	validate_role
	: "${SPARK_HOME:=/opt/spark}" "${SPARK_MASTER_URL:=spark://master:7077}"
	: "${SPARK_MASTER_PORT:=7077}" "${SPARK_MASTER_WEBUI_PORT:=8080}" "${SPARK_WORKER_WEBUI_PORT:=8081}"
	: "${SHINY_PORT:=3838}" "${RSTUDIO_PORT:=8787}" "${JUPYTER_PORT:=8888}" "${SPARK_MASTER_WAIT_SECONDS:=120}"
	: "${SPARK_WORKER_DECOMMISSION_SECONDS:=50}" "${SPARK_HISTORY_UI_PORT:=18080}"
	export SPARK_MASTER_PORT SPARK_MASTER_WEBUI_PORT SPARK_WORKER_WEBUI_PORT SHINY_PORT RSTUDIO_PORT JUPYTER_PORT
	for port in SPARK_MASTER_PORT SPARK_MASTER_WEBUI_PORT SPARK_WORKER_WEBUI_PORT RSTUDIO_PORT \
		SPARK_HISTORY_UI_PORT; do
		require_port "$port"
	done
	require_url SPARK_HISTORY_URL
	if [ -n "${SPARK_UI_PROXY_PATH:-}" ] && ! [[ "$SPARK_UI_PROXY_PATH" =~ ^(/[a-z0-9-]+)+$ ]]; then
		echo "error: SPARK_UI_PROXY_PATH must be a path like /spark, got \"$SPARK_UI_PROXY_PATH\"." | fail "$EX_USAGE"
	fi
	require_address SPARK_LOCAL_IP
	require_address SPARK_MASTER_HOST
	for setting in SPARK_MASTER_WAIT_SECONDS SPARK_WORKER_DECOMMISSION_SECONDS; do
		if ! [[ "${!setting}" =~ ^[0-9]+$ ]]; then
			echo "error: $setting must be a whole number of seconds, got \"${!setting}\"." | fail "$EX_USAGE"
		fi
	done
	if [ "$ROLE" = trial ]; then prepare_trial; fi
	parse_master_url
	ADVERTISE_IP=$(detect_local_ip)
	unset SPARK_LOCAL_IP
	export SPARK_MASTER_HOST=${SPARK_MASTER_HOST:-$ADVERTISE_IP}
	export SPARK_WORKER_CORES=${SPARK_WORKER_CORES:-$(container_cpus)}
	if [ -z "${SPARK_WORKER_MEMORY:-}" ]; then
		# As Spark does on a bare machine, all memory but 1 GiB for the worker daemon; at least 512 MiB
		# (the same rule as the stack's SRS_WORKER_SPARK_MEMORY). The trial's worker shares the
		# container with the master, JupyterLab and its kernels: half of it, at least 1 GiB.
		local mb
		if [ "$ROLE" = trial ]; then
			mb=$(($(container_memory_mb) / 2))
			[ "$mb" -lt 1024 ] && mb=1024
		else
			mb=$(($(container_memory_mb) - 1024))
			[ "$mb" -lt 512 ] && mb=512
		fi
		SPARK_WORKER_MEMORY=${mb}m
	fi
	export SPARK_WORKER_MEMORY
	log "role $ROLE, address $ADVERTISE_IP, master $SPARK_MASTER_URL"
	configure_auth
	configure_spark
	unset SPARK_AUTH_SECRET
	if [ "$ROLE" = master ]; then
		prepare_recovery_dir
		configure_ide_user
		configure_jupyterlab
		unset IDE_PASSWORD_VALUE
		configure_shiny
		prepare_shiny_apps
		configure_spark_connect
		configure_front_door
	elif [ "$ROLE" = trial ]; then
		configure_ide_user
		configure_jupyterlab
		unset IDE_PASSWORD_VALUE
	fi
	configure_r
	prepare_data_dir
	"start_$ROLE"
}

# Sourcing this file (for tests) defines the functions without running anything.
if ! (return 0 2>/dev/null); then
	_main "$@"
fi
