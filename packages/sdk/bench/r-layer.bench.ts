// R layer benchmark: prints one JSON object.
//   npm run bench:r
// Deploys a stack with 2 workers (1 core each) and runs, in one R process in the head (the
// session warm), median of 3:
//   - copy_to() of 10^6 rows x 10 mixed columns, and collect() of the same, next to the plain
//     PySpark path a reticulate user would write (spark$createDataFrame(r_to_py(df)) and
//     df$toPandas(); one run each, it takes minutes), as ratios.
import { runRBenchmark } from './r-in-head.js';

const R_BENCH = String.raw`
suppressPackageStartupMessages({ library(srspark); library(dplyr) })
con <- srs_connect()
median_of <- function(times) as.numeric(stats::median(times))
timed <- function(expr) { started <- proc.time()[["elapsed"]]; force(expr); proc.time()[["elapsed"]] - started }
rows <- 1e6
set.seed(1)
frame <- data.frame(
  id = seq_len(rows), a = runif(rows), b = rnorm(rows), c = sample.int(1000L, rows, TRUE),
  d = sample(c("north", "south", "east", "west"), rows, TRUE), e = sample(c(TRUE, FALSE, NA), rows, TRUE),
  f = as.Date("2020-01-01") + sample.int(1000L, rows, TRUE), g = as.POSIXct("2020-01-01", tz = "UTC") + runif(rows, 0, 1e8),
  h = factor(sample(letters, rows, TRUE)), i = ifelse(runif(rows) < 0.1, NA, runif(rows)),
  stringsAsFactors = FALSE
)
count_rows <- function(table) dbGetQuery(con, paste("SELECT COUNT(*) AS n FROM", table))$n
# Warm the session and the JVM paths once.
copy_to(con, frame[1:1000, ], "warm", overwrite = TRUE); invisible(collect(tbl(con, "warm")))
copy_in <- replicate(3, timed({ copy_to(con, frame, "bench", overwrite = TRUE); stopifnot(count_rows("bench") == rows) }))
collect_out <- replicate(3, timed({ back <- collect(tbl(con, "bench")); stopifnot(nrow(back) == rows) }))
# The plain path: reticulate converts the frame to pandas, PySpark makes rows of it; toPandas() back.
# It takes minutes at this size: one run each.
spark <- srs_session()
plain_in <- replicate(1, timed({ pdf <- reticulate::r_to_py(frame); sdf <- spark$createDataFrame(pdf); sdf$createOrReplaceTempView("plain"); stopifnot(count_rows("plain") == rows) }))
plain_out <- replicate(1, timed({ back <- reticulate::py_to_r(spark$table("plain")$toPandas()); stopifnot(nrow(back) == rows) }))
cat(jsonlite::toJSON(list(
  rows = rows, columns = ncol(frame),
  copyTo = list(seconds = median_of(copy_in), rowsPerSecond = round(rows / median_of(copy_in)), runs = copy_in),
  collect = list(seconds = median_of(collect_out), rowsPerSecond = round(rows / median_of(collect_out)), runs = collect_out),
  plainCreateDataFrame = list(seconds = median_of(plain_in), runs = plain_in, ratio = round(median_of(copy_in) / median_of(plain_in), 3)),
  plainToPandas = list(seconds = median_of(plain_out), runs = plain_out, ratio = round(median_of(collect_out) / median_of(plain_out), 3))
), auto_unbox = TRUE, digits = 4))
`;

const result = await runRBenchmark({
  stackName: 'srs-bench-r',
  sparkUiPort: 29_180,
  script: R_BENCH,
  timeoutMs: 1_800_000,
});
process.stdout.write(
  `${JSON.stringify({ workers: 2, coresPerWorker: 1, bridge: 'pyspark', ...result }, null, 2)}\n`,
);
