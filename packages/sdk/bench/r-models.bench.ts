// Model fits benchmark: prints one JSON object.
//   npm run bench:models                      # 10^6 and 10^7 rows
//   npm run bench:models -- --rows 1e6,1e7,1e8 --runs 3 --families gaussian,binomial,poisson
// --mllib-up-to 1e6
// Deploys a stack with 2 workers (1 core each) and, in one R process in the head (the session
// warm), for each size of srspark's synthetic data (y ~ x + segment, 8 segments), median of
// --runs after one warm-up run at that size (reported, not counted), srs_glm and pyspark.ml taking
// turns to go first:
//   - the aggregate a dashboard computes (count and mean of y per segment): the floor;
//   - srs_glm(family = gaussian) (one SQL pass of sums per segment; a second, stable one only
//     for data far from zero), next to pyspark.ml's RFormula + GeneralizedLinearRegression in the
//     same session;
//   - binomial and poisson by srs_glm's IRLS in SQL and by its MLlib path, next to pyspark.ml.
// Ratios are ours over the baseline named in each field. The coefficients of the SQL fits and of
// pyspark.ml are compared on the intercept and the slope of x (RFormula orders the segment
// levels its own way), as a check that both fitted the same model.
import { runRBenchmark } from './r-in-head.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined
    ? (process.argv[at + 1] as string)
    : fallback;
}

const sizes = option('rows', '1e6,1e7').split(',').map(Number);
const runs = Number(option('runs', '3'));
const families = option('families', 'gaussian,binomial,poisson').split(',');
// Above this many rows, srs_glm's MLlib path (slower than its SQL path everywhere measured) is left
// out.
const mllibUpTo = Number(option('mllib-up-to', '1e9'));
if (
  sizes.some((rows) => !Number.isInteger(rows) || rows < 1000 || rows > 1e9) ||
  !Number.isInteger(runs) ||
  runs < 1 ||
  runs > 10 ||
  families.some((family) => !['gaussian', 'binomial', 'poisson'].includes(family)) ||
  !(mllibUpTo >= 0)
) {
  process.stderr.write(
    'usage: bench:models [--rows 1e6,1e7,1e8] [--runs 3] [--families gaussian,binomial,poisson] [--mllib-up-to 1e6]   (rows from 1e3 to 1e9, runs from 1 to 10)\n',
  );
  process.exit(2);
}

const R_BENCH = String.raw`
suppressPackageStartupMessages({ library(srspark); library(dplyr) })
con <- srs_connect()
spark <- srs_session()
feature <- reticulate::import("pyspark.ml.feature")
regression <- reticulate::import("pyspark.ml.regression")
pyspark_ml <- reticulate::import("pyspark.ml")
sizes <- as.numeric(strsplit(Sys.getenv("BENCH_ROWS"), ",")[[1]])
runs <- as.integer(Sys.getenv("BENCH_RUNS"))
families <- strsplit(Sys.getenv("BENCH_FAMILIES"), ",")[[1]]
mllib_up_to <- as.numeric(Sys.getenv("BENCH_MLLIB_UP_TO"))
progress <- function(...) message(format(Sys.time(), "%H:%M:%S "), ...)
timed <- function(expr) { started <- proc.time()[["elapsed"]]; force(expr); proc.time()[["elapsed"]] - started }
median_of <- function(times) as.numeric(stats::median(times))
# pyspark.ml as a Python user writes it: RFormula (string levels one-hot encoded) then the GLM.
pyspark_glm <- function(formula, family, link, table) {
  stages <- list(
    feature$RFormula(formula = formula, featuresCol = "features", labelCol = "label", stringIndexerOrderType = "alphabetDesc"),
    regression$GeneralizedLinearRegression(family = family, link = link, featuresCol = "features", labelCol = "label", maxIter = 25L, tol = 1e-8)
  )
  model <- pyspark_ml$Pipeline(stages = stages)$fit(spark$table(table))
  glm <- model$stages[[2]]
  c(intercept = glm$intercept, x = reticulate::py_to_r(glm$coefficients$toArray())[[1]])
}
# Measures of the same job: a warm-up run of each at this size (reported, not counted), then
# --runs runs of each in turn, the order reversed every other run, so a machine that slows down
# or speeds up during the run weighs on all of them.
measure_in_turns <- function(...) {
  fns <- list(...)
  values <- vector("list", length(fns))
  warmup <- vapply(seq_along(fns), function(k) timed(values[[k]] <<- fns[[k]]()), numeric(1))
  times <- matrix(NA_real_, runs, length(fns))
  for (run in seq_len(runs)) for (k in if (run %% 2 == 1) seq_along(fns) else rev(seq_along(fns))) times[run, k] <- timed(values[[k]] <- fns[[k]]())
  lapply(seq_along(fns), function(k) list(seconds = median_of(times[, k]), runs = times[, k], warmup = warmup[[k]], value = values[[k]]))
}
measure <- function(expr_fn) measure_in_turns(expr_fn)[[1]]
ratio <- function(a, b) round(a$seconds / b$seconds, 3)
difference <- function(ours, theirs) signif(max(abs(ours - theirs)), 3)
results <- list()
# Warm the session, the JVM helper and MLlib once on a small table.
srs_synthetic(con, 1e4, seed = 7L, name = "bench_warm")
invisible(srs_glm(y ~ x + segment, "bench_warm")); invisible(pyspark_glm("y ~ x + segment", "gaussian", "identity", "bench_warm"))
for (rows in sizes) {
  srs_synthetic(con, rows, seed = 7L, name = "bench_rows")
  # hit: y above 3.25, which every segment's range of y straddles (a threshold at a segment's edge
  # separates it, and any IRLS, glm() too, then creeps for many iterations towards infinite coefficients).
  dbExecute(con, "CREATE OR REPLACE TEMPORARY VIEW bench_counts AS SELECT *, CAST(y > 3.25D AS INT) AS hit, CAST(FLOOR(y) AS INT) AS k FROM bench_rows")
  aggregate <- measure(function() dbGetQuery(con, "SELECT segment, COUNT(*) AS n, AVG(y) AS mean_y FROM bench_rows GROUP BY segment"))
  progress(rows, " rows: aggregate ", aggregate$seconds, " s")
  entry <- list(rows = rows, aggregate = list(seconds = aggregate$seconds, runs = aggregate$runs, warmup = aggregate$warmup))
  for (family in families) {
    response <- switch(family, gaussian = "y", binomial = "hit", poisson = "k")
    link <- switch(family, gaussian = "identity", binomial = "logit", poisson = "log")
    table <- if (family == "gaussian") "bench_rows" else "bench_counts"
    formula <- paste(response, "~ x + segment")
    family_object <- get(family, mode = "function")()
    iterations <- NA_integer_
    pair <- measure_in_turns(
      function() {
        fit <- srs_glm(formula, table, family = family_object, method = "sql")
        iterations <<- fit$iterations
        coef(fit)[c(1, 2)]
      },
      function() pyspark_glm(formula, family, link, table)
    )
    sql <- pair[[1]]
    ml <- pair[[2]]
    result <- list(
      srsGlmSql = list(seconds = sql$seconds, runs = sql$runs, warmup = sql$warmup, iterations = iterations, overAggregate = ratio(sql, aggregate), overPysparkMl = ratio(sql, ml)),
      pysparkMl = list(seconds = ml$seconds, runs = ml$runs, warmup = ml$warmup),
      maxCoefficientDifference = difference(sql$value, ml$value)
    )
    if (family != "gaussian" && rows <= mllib_up_to) {
      mllib <- measure(function() coef(srs_glm(formula, table, family = family_object, method = "mllib"))[c(1, 2)])
      result$srsGlmMllib <- list(seconds = mllib$seconds, runs = mllib$runs, overPysparkMl = ratio(mllib, ml))
    }
    progress(rows, " rows: ", family, " sql ", sql$seconds, " s (", iterations, " iterations), pyspark.ml ", ml$seconds, " s")
    entry[[family]] <- result
  }
  results[[length(results) + 1L]] <- entry
}
cat(jsonlite::toJSON(list(runsPerMeasure = runs, sizes = results), auto_unbox = TRUE, digits = 4))
`;

const result = await runRBenchmark({
  stackName: 'srs-bench-models',
  sparkUiPort: 29_181,
  script: R_BENCH,
  env: {
    BENCH_ROWS: sizes.join(','),
    BENCH_RUNS: String(runs),
    BENCH_FAMILIES: families.join(','),
    BENCH_MLLIB_UP_TO: String(mllibUpTo),
  },
  timeoutMs: 7_200_000,
  showProgress: true,
});
process.stdout.write(
  `${JSON.stringify({ workers: 2, coresPerWorker: 1, bridge: 'pyspark', model: 'y ~ x + segment (8 levels)', ...result }, null, 2)}\n`,
);
