// First-job benchmark: prints one JSON object.
//   npm run bench:first-job [-- --runs 5]
// A stack of 2 workers (1 core each). In its head, a fresh R process (as the IDE user) opens a
// Spark session that asks for no executor (as the demo's does) and runs the demo's first
// computation at 10^5 rows (generate, aggregate per segment, fit y ~ x + segment): its executors
// start with it. Timed from the computation's start to its result, with the image's executor
// class archive (the default) and without it (spark.executor.defaultJavaOptions emptied, the
// plain JVM), in turns (median of --runs each, the order reversed every other run), and the ratio.
import { R_IN_TURNS, runRBenchmark, runsArgument } from './r-in-head.js';

const runs = runsArgument('bench:first-job', 5);

const R_BENCH = String.raw`${R_IN_TURNS}
runs <- as.integer(Sys.getenv("BENCH_RUNS"))
visit <- tempfile(fileext = ".R")
writeLines(c(
  "suppressPackageStartupMessages({ library(srspark); library(dplyr, warn.conflicts = FALSE) })",
  "conf <- list(spark.dynamicAllocation.initialExecutors = 0)",
  "if (commandArgs(trailingOnly = TRUE)[[1]] == 'plain') conf$spark.executor.defaultJavaOptions <- ''",
  "options(srspark.session_conf = conf)",
  "con <- srs_connect()",
  "started <- Sys.time()",
  "data <- srs_synthetic(con, 1e5, seed = 42, name = 'first_job') |> filter(x >= 0)",
  "sql <- dbplyr::sql_render(summarise(group_by(data, segment), n = n(), mean_y = mean(y, na.rm = TRUE)))",
  "pending <- DBI::dbSendQuery(con, sql)",
  "fit <- srs_glm(y ~ x + segment, data)",
  "groups <- DBI::dbFetch(pending)",
  "DBI::dbClearResult(pending)",
  "stopifnot(nrow(groups) == 8L, length(coef(fit)) == 9L)",
  "cat(sprintf('FIRST %.3f\\n', as.numeric(difftime(Sys.time(), started, units = 'secs'))))",
  "srs_stop()"
), visit)
first_computation <- function(mode) {
  wait_for(function() apps() == 0L, "a free cluster")
  out <- system2("Rscript", c(visit, mode), stdout = TRUE, stderr = FALSE)
  seconds <- as.numeric(sub("^FIRST ", "", grep("^FIRST ", out, value = TRUE)))
  if (length(seconds) != 1L) stop("the ", mode, " run printed no time: ", paste(out, collapse = "\n"))
  seconds
}
# One run first: the head's files and the workers' jars in the page cache, not counted.
invisible(first_computation("archive"))
turns <- in_turns(
  runs, function() first_computation("archive"), function() first_computation("plain"),
  c("with the class archive", "plain")
)
archive <- unlist(turns$first)
plain <- unlist(turns$second)
cat(jsonlite::toJSON(list(
  runs = runs,
  classArchive = list(seconds = stats::median(archive), runs = archive),
  plainJvm = list(seconds = stats::median(plain), runs = plain),
  ratio = round(stats::median(archive) / stats::median(plain), 2)
), auto_unbox = TRUE, digits = 4))
`;

const result = await runRBenchmark({
  stackName: 'srs-bench-first-job',
  sparkUiPort: 29_191,
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
      measure:
        "a new session's first computation (the demo's, 10^5 rows), seconds, its executors starting with it",
      ...result,
    },
    null,
    2,
  )}\n`,
);
