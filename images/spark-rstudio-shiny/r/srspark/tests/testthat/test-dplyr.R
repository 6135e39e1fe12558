# dplyr on Spark (through dbplyr's Spark SQL translation) against dplyr on the same local data.
library(dplyr, warn.conflicts = FALSE)

flights_local <- function() {
  set.seed(7)
  n <- 3000
  data.frame(
    id = seq_len(n),
    carrier = sample(c("AA", "DL", "UA", "WN", "B6"), n, TRUE),
    origin = sample(c("JFK", "LGA", "EWR"), n, TRUE),
    dep_delay = ifelse(runif(n) < 0.05, NA, round(rnorm(n, 10, 30))),
    distance = round(runif(n, 100, 3000)),
    day = as.Date("2024-01-01") + sample.int(60, n, TRUE),
    stringsAsFactors = FALSE
  )
}

local <- flights_local()
flights <- copy_to(con, local, unique_name("flights"))

expect_same <- function(remote, local_result, by = names(local_result), tolerance = 1e-9) {
  expect_equal(sorted(collect(remote), by), sorted(local_result, by), tolerance = tolerance)
}

test_that("filter, mutate and arrange equal dplyr's on the local frame", {
  remote <- flights |> filter(dep_delay > 0, origin != "EWR") |> mutate(speed = distance / (dep_delay + 60), late = dep_delay > 15) |> arrange(desc(dep_delay), id)
  expected <- local |> filter(dep_delay > 0, origin != "EWR") |> mutate(speed = distance / (dep_delay + 60), late = dep_delay > 15) |> arrange(desc(dep_delay), id)
  got <- collect(remote)
  expect_equal(as.data.frame(got), as.data.frame(expected), tolerance = 1e-12)
})

test_that("group_by and summarise (n, mean, sd, min, max with na.rm) equal dplyr's", {
  summarised <- function(data) {
    data |> group_by(carrier, origin) |> summarise(
      n = n(), mean_delay = mean(dep_delay, na.rm = TRUE), sd_delay = sd(dep_delay, na.rm = TRUE),
      min_delay = min(dep_delay, na.rm = TRUE), max_delay = max(dep_delay, na.rm = TRUE), first_day = min(day, na.rm = TRUE),
      .groups = "drop"
    )
  }
  expected <- summarised(local)
  expected$n <- as.numeric(expected$n)
  expect_same(summarised(flights), expected, by = c("carrier", "origin"))
})

test_that("the README's example runs and equals dplyr's", {
  # README: Spark from R
  got <- flights |>
    filter(dep_delay > 0) |>
    group_by(carrier) |>
    summarise(n = n(), mean_delay = mean(dep_delay, na.rm = TRUE)) |>
    arrange(desc(n)) |>
    collect()
  # README end
  expected <- local |> filter(dep_delay > 0) |> group_by(carrier) |> summarise(n = as.numeric(n()), mean_delay = mean(dep_delay, na.rm = TRUE)) |> arrange(desc(n))
  expect_equal(as.data.frame(got), as.data.frame(expected), tolerance = 1e-12)
})

test_that("left and inner joins equal dplyr's", {
  carriers_local <- data.frame(carrier = c("AA", "DL", "UA", "XX"), name = c("American", "Delta", "United", "Nobody"), stringsAsFactors = FALSE)
  carriers <- copy_to(con, carriers_local, unique_name("carriers"))
  expect_same(flights |> left_join(carriers, by = "carrier") |> select(id, carrier, name), local |> left_join(carriers_local, by = "carrier") |> select(id, carrier, name), by = "id")
  expect_same(flights |> inner_join(carriers, by = "carrier") |> select(id, name, dep_delay), local |> inner_join(carriers_local, by = "carrier") |> select(id, name, dep_delay), by = "id")
})

test_that("window functions (row_number, lag, cumulative sums within groups) equal dplyr's", {
  windowed <- function(data) {
    data |> group_by(carrier) |> dbplyr::window_order(day, id) |>
      mutate(rank = row_number(), previous = lag(distance), running = cumsum(distance)) |>
      ungroup() |> select(id, carrier, rank, previous, running)
  }
  expected <- local |> group_by(carrier) |> arrange(day, id, .by_group = TRUE) |>
    mutate(rank = row_number(), previous = lag(distance), running = cumsum(distance)) |>
    ungroup() |> select(id, carrier, rank, previous, running)
  expected$rank <- as.integer(expected$rank)
  expect_same(windowed(flights), as.data.frame(expected), by = "id")
})

test_that("distinct and count equal dplyr's", {
  expect_same(flights |> distinct(origin, carrier), local |> distinct(origin, carrier))
  counted <- local |> count(origin, carrier)
  counted$n <- as.numeric(counted$n)
  expect_same(flights |> count(origin, carrier), counted)
})

test_that("tbl() reads a view made elsewhere, and the demo's synthetic data equals its plain-R reference", {
  name <- unique_name("synthetic")
  remote <- srs_synthetic(con, 20000, seed = 11, name = name)
  expect_identical(dbListFields(con, name), c("id", "x", "segment", "grp", "y"))
  reference <- srs_reference_synthetic(20000, seed = 11)
  by_segment <- function(data) data |> group_by(segment) |> summarise(n = n(), mean_x = mean(x, na.rm = TRUE), mean_y = mean(y, na.rm = TRUE))
  expected <- by_segment(reference)
  expected$n <- as.numeric(expected$n)
  expect_same(by_segment(tbl(con, name)), expected, by = "segment")
  # The largest seed needs 64-bit arithmetic in Spark (INT would overflow).
  big <- srs_synthetic(con, 5000, seed = 1e6, name = unique_name("big_seed"))
  expected <- by_segment(srs_reference_synthetic(5000, seed = 1e6))
  expected$n <- as.numeric(expected$n)
  expect_same(by_segment(big), expected, by = "segment")
  expect_error(srs_synthetic(con, 0), "rows must be a whole number from 1")
  expect_error(srs_synthetic(con, 10, seed = -1), "seed must be a whole number from 0")
})

test_that("a new seed of the synthetic data reuses the code Spark generated for the last one, and so do the model fits", {
  # The driver's count of classes Spark compiled (each executor compiles the same ones).
  compiled <- function() {
    s <- srspark:::spark_parts()
    histogram <- s$bridge$jstatic(s$handle, "org.apache.spark.metrics.source.CodegenMetrics", "METRIC_COMPILATION_TIME")
    s$bridge$scalar(s$bridge$jcall(histogram, "getCount"))
  }
  name <- unique_name("seeded")
  compute <- function(seed) {
    data <- srs_synthetic(con, 3000, seed = seed, name = name)
    list(
      aggregate = data |> group_by(segment) |> summarise(n = n(), mean_y = mean(y, na.rm = TRUE)) |> collect(),
      fit = srs_glm(y ~ x + segment, data),
      # IRLS: new data, a new sample to start from, new coefficients, and still the same code.
      logistic = srs_glm(hit ~ x + segment, mutate(data, hit = y > 3.25), family = binomial)
    )
  }
  compute(21)
  before <- compiled()
  second <- compute(22)
  expect_equal(compiled() - before, 0)
  # ...and the new seed's numbers are its own.
  reference <- srs_reference_synthetic(3000, seed = 22)
  expect_equal(sorted(second$aggregate, "segment")$mean_y, as.numeric(tapply(reference$y, reference$segment, mean)), tolerance = 1e-9)
  expect_equal(unname(coef(second$fit)), unname(coef(stats::lm(y ~ x + segment, reference))), tolerance = 1e-8)
  reference$hit <- reference$y > 3.25
  expect_equal(unname(coef(second$logistic)), unname(coef(stats::glm(hit ~ x + segment, binomial, reference))), tolerance = 1e-8)
  # The first pass, the sample, and the IRLS passes.
  expect_gte(second$logistic$passes, 3)
})
