# Run by spark-connect.integration.test.ts with Spark Connect's client: the total of a range and
# the hosts whose executors ran the tasks (reflect() runs in them), or the error, as one JSON line.
# A file, not python -c: PySpark takes a main module without a file for its doctests and exits.
import json
import sys

from pyspark.sql import SparkSession

try:
    spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
    total = spark.range(0, 1000000, 1, 4).selectExpr("sum(id) AS s").first()["s"]
    hosts = spark.sql(
        "SELECT DISTINCT reflect('java.net.InetAddress', 'getLocalHost') FROM range(0, 8, 1, 8)"
    ).collect()
    print(json.dumps({"total": total, "hosts": sorted(row[0] for row in hosts)}))
except Exception as error:  # the test reads the refusal from here
    print(json.dumps({"error": type(error).__name__, "message": str(error)[:500]}))
