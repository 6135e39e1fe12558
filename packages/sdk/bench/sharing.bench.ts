// Sharing benchmark: prints one JSON object.
//   npm run bench:sharing [-- --runs 3]
// A stack of 2 workers (1 core each). In its head, an idle interactive app (an R process with
// options(srspark.keep_executors = Inf), as the demo sets) runs one job, then idles 35 s holding
// both executors (past dynamic allocation's 30 s idle timeout, so it really keeps them). A
// newcomer (spark-submit of a PySpark script) then opens its session and runs a tiny job: the
// time from its session opened to its first job done, next to the same newcomer on the free
// cluster, in turns (median of --runs each, the order reversed every other run), and the ratio.
import { R_IN_TURNS, runRBenchmark, runsArgument } from './r-in-head.js';

const runs = runsArgument('bench:sharing', 3);

const R_BENCH = String.raw`${R_IN_TURNS}
runs <- as.integer(Sys.getenv("BENCH_RUNS"))
idle_app <- tempfile(fileext = ".R")
writeLines(c(
  "suppressPackageStartupMessages(library(srspark))",
  "args <- commandArgs(trailingOnly = TRUE)",
  "options(srspark.keep_executors = Inf)",
  "con <- srs_connect()",
  # Jobs until it holds both executors (a driver starts with one and asks for more while a job
  # waits, so one short job may end on the first).
  "for (round in 1:10) {",
  "  invisible(DBI::dbGetQuery(con, 'SELECT SUM(id) AS s FROM range(0, 40000000, 1, 8)'))",
  "  if (length(srspark:::executor_hosts()) >= 2L) break",
  "}",
  "writeLines(as.character(length(srspark:::executor_hosts())), args[[1]])",
  "while (!file.exists(args[[2]])) later::run_now(1)",
  "srs_stop()"
), idle_app)
newcomer <- tempfile(fileext = ".py")
writeLines(c(
  "import time",
  "from pyspark.sql import SparkSession",
  "spark = SparkSession.builder.appName('srs-bench-newcomer').getOrCreate()",
  "opened = time.time()",
  "spark.sparkContext.parallelize(range(100), 2).count()",
  "print(f'NEWCOMER {time.time() - opened:.2f}', flush = True)",
  "spark.stop()"
), newcomer)
first_job <- function() {
  out <- system2("spark-submit", newcomer, stdout = TRUE, stderr = FALSE)
  seconds <- as.numeric(sub("^NEWCOMER ", "", grep("^NEWCOMER ", out, value = TRUE)))
  if (length(seconds) != 1L) stop("the newcomer printed no time: ", paste(out, collapse = "\n"))
  seconds
}
beside_idle_app <- function() {
  held <- tempfile()
  done <- tempfile()
  system2("Rscript", c(idle_app, held, done), wait = FALSE, stdout = FALSE, stderr = FALSE)
  wait_for(function() file.exists(held) && length(readLines(held)) == 1L, "the idle app's job")
  executors <- as.integer(readLines(held))
  Sys.sleep(35)
  seconds <- first_job()
  file.create(done)
  wait_for(function() apps() == 0L, "the idle app's end")
  c(seconds = seconds, idleAppExecutors = executors)
}
on_free_cluster <- function() {
  wait_for(function() apps() == 0L, "a free cluster")
  seconds <- first_job()
  wait_for(function() apps() == 0L, "the newcomer's end")
  seconds
}
# One newcomer first: the driver's JVM and Python files warm, not counted.
invisible(on_free_cluster())
turns <- in_turns(runs, beside_idle_app, on_free_cluster, c("beside the idle app", "free"))
beside <- turns$first
beside_seconds <- vapply(beside, seconds_of, numeric(1))
free <- vapply(turns$second, seconds_of, numeric(1))
cat(jsonlite::toJSON(list(
  runs = runs,
  besideIdleApp = list(
    seconds = stats::median(beside_seconds), runs = beside_seconds,
    idleAppExecutors = vapply(beside, function(x) x[["idleAppExecutors"]], numeric(1))
  ),
  freeCluster = list(seconds = stats::median(free), runs = free),
  ratio = round(stats::median(beside_seconds) / stats::median(free), 2)
), auto_unbox = TRUE, digits = 4))
`;

const result = await runRBenchmark({
  stackName: 'srs-bench-sharing',
  sparkUiPort: 29_190,
  script: R_BENCH,
  env: { BENCH_RUNS: String(runs) },
  timeoutMs: 3_600_000,
  showProgress: true,
});
process.stdout.write(
  `${JSON.stringify(
    {
      workers: 2,
      coresPerWorker: 1,
      measure: "a newcomer driver's first job, seconds after its session opened",
      ...result,
    },
    null,
    2,
  )}\n`,
);
