#!/usr/bin/env bash
# make_executor_class_archive.sh ARCHIVE
#   Writes a class data sharing archive (JDK CDS) of what a Spark executor loads, so that every
#   executor JVM a worker starts maps those classes ready-parsed instead of reading and verifying
#   them from the jars: a new application's first executors register and run their first tasks
#   sooner. Runs a small Spark job on a local cluster (real executor JVMs, started by a worker
#   the way the cluster's workers start them) whose executors dump their classes on exit.
#   The JDK uses an archive only with the class path it was made with, in the same order, and
#   Spark's jars/* lists them in the folder's order, which differs between this build and a
#   container of the image: executors get the jars by name first (ARCHIVE.classpath, which the
#   entrypoint gives them as spark.executor.extraClassPath), so their classes come from there.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

archive=${1:?usage: make_executor_class_archive.sh ARCHIVE}
export SPARK_HOME=${SPARK_HOME:-/opt/spark}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/default-java}
export PYSPARK_PYTHON=/opt/jupyter/bin/python
export SPARK_LOCAL_IP=127.0.0.1
export PYTHONPATH=$SPARK_HOME/python/lib/pyspark.zip:$SPARK_HOME/python/lib/py4j-src.zip
classpath_file=$archive.classpath

mkdir -p "$(dirname "$archive")"
rm -f "$archive" "$classpath_file"
# slf4j-api first, as Spark's own class path has it, then every jar by name.
shopt -s nullglob
slf4j=("$SPARK_HOME"/jars/slf4j-api-*.jar)
[ "${#slf4j[@]}" -eq 1 ] || die "expected one slf4j-api jar in $SPARK_HOME/jars, found ${#slf4j[@]}"
classpath=$(
	echo "${slf4j[0]}"
	find "$SPARK_HOME/jars" -maxdepth 1 -name '*.jar' ! -name 'slf4j-api-*.jar' | LC_ALL=C sort
)
classpath=$(paste -sd: <<<"$classpath")

job=$(mktemp -d)
trap 'rm -rf "$job"' EXIT
# What executors do most here: generate and filter rows, aggregate with a shuffle, join, and hand
# results back to the driver. (Reading and writing files loads more, and grew the archive from
# 77 MB to 117 MB: those jobs load their classes from the jars as before.)
cat >"$job/warm.py" <<-'PY'
	from pyspark.sql import SparkSession, functions as F
	spark = SparkSession.builder.getOrCreate()
	data = (spark.range(200000, numPartitions=4)
	        .withColumn("x", F.rand(42))
	        .withColumn("segment", F.expr("char(65 + cast(id % 8 as int))"))
	        .withColumn("y", F.col("x") * 2 + F.randn(7)))
	summary = data.filter("x >= 0.1").groupBy("segment").agg(F.count("*"), F.avg("x"), F.avg("y"))
	summary.join(data.groupBy("segment").agg(F.max("y").alias("top")), "segment").collect()
	data.limit(1000).collect()
	spark.stop()
PY

"$SPARK_HOME/bin/spark-submit" \
	--master 'local-cluster[1,1,1024]' \
	--conf spark.ui.enabled=false \
	--conf spark.ui.showConsoleProgress=false \
	--conf "spark.executor.extraClassPath=$classpath" \
	--conf "spark.executor.defaultJavaOptions=-XX:ArchiveClassesAtExit=$archive" \
	"$job/warm.py"

# The executor writes the archive as it exits, which may outlast the driver by a moment.
for _ in $(seq 60); do
	[ -s "$archive" ] && ! pgrep -f CoarseGrainedExecutorBackend >/dev/null && break
	sleep 1
done
[ -s "$archive" ] || die "no executor wrote $archive"
# The local cluster's worker left its executors' folders in $SPARK_HOME/work.
find "$SPARK_HOME/work" -mindepth 1 -maxdepth 1 -newer "$job/warm.py" -exec rm -rf {} +
echo "$classpath" >"$classpath_file"
chmod 0644 "$archive" "$classpath_file"
echo "executor class archive: $archive ($(du -h "$archive" | cut -f1))"
