# Bounds on what one call may ask (limits.R): each refused with one error that names the bound
# and the option that raises it, before the cluster or R does the work the call would need.
library(dplyr, warn.conflicts = FALSE)

elapsed <- function(expr) {
  started <- proc.time()[["elapsed"]]
  result <- tryCatch(expr, error = function(e) e)
  list(seconds = proc.time()[["elapsed"]] - started, result = result)
}

wide <- copy_to(con, as.data.frame(matrix(seq_len(400) / 7, nrow = 2, ncol = 200)), unique_name("t_wide200"))

test_that("y ~ .^3 over 200 columns is refused from the formula alone", {
  # 199 columns besides the response: choose(199, 1) + choose(199, 2) + choose(199, 3) terms.
  run <- elapsed(srs_glm(V1 ~ .^3, wide))
  expect_s3_class(run$result, "error")
  expect_match(conditionMessage(run$result), "the formula makes at least 1,313,599 model columns, more than srspark.max_model_columns allows (500)", fixed = TRUE)
  expect_match(conditionMessage(run$result), "options(srspark.max_model_columns = ...)", fixed = TRUE)
  cat(sprintf("# refusing y ~ .^3 over 200 columns took %.2f s\n", run$seconds))
})

test_that("an interaction of four variables is refused, and allowed once the option says so", {
  error <- tryCatch(srs_glm(V1 ~ V2:V3:V4:V5, wide), error = function(e) e)
  expect_match(conditionMessage(error), "the formula has 4 variables in one interaction, more than srspark.max_interaction_order allows (3)", fixed = TRUE)
  withr::with_options(list(srspark.max_interaction_order = 4), {
    # Two rows cannot fit it, but the bound is passed: the refusal is now the model's own.
    result <- tryCatch(srs_glm(V1 ~ V2:V3:V4:V5, wide), error = function(e) e)
    expect_false(inherits(result, "error") && grepl("srspark.max_interaction_order", conditionMessage(result), fixed = TRUE))
  })
})

many <- copy_to(con, data.frame(measure = seq_len(1e5) %% 97, big = seq_len(1e5) %% 97 > 40, group = sprintf("g%06d", seq_len(1e5)), stringsAsFactors = FALSE), unique_name("t_levels"))

test_that("a text column of 100,000 values is refused by its levels, for gaussian and for binomial", {
  invisible(srs_glm(measure ~ 1, many)) # a warm session, so the time is the model's own
  run <- elapsed(srs_glm(measure ~ group, many))
  expect_s3_class(run$result, "error")
  expect_match(conditionMessage(run$result), "column group has at least 1,001 distinct values, more than srspark.max_levels allows (1,000)", fixed = TRUE)
  cat(sprintf("# refusing a 100,000-level factor took %.2f s\n", run$seconds))
  error <- tryCatch(srs_glm(big ~ group, many, family = binomial), error = function(e) e)
  expect_match(conditionMessage(error), "column group has at least 1,001 distinct values, more than srspark.max_levels allows (1,000)", fixed = TRUE)
})

test_that("a model of too many indicator columns is refused before it is built", {
  cars <- copy_to(con, transform(datasets::mtcars, cyl_s = as.character(cyl), gear_s = as.character(gear)), unique_name("t_cols"))
  # (Intercept) aside: cyl_s 2 + gear_s 2 + their interaction 4 = 8 columns.
  fit <- withr::with_options(list(srspark.max_model_columns = 10), srs_glm(mpg ~ cyl_s * gear_s, cars))
  expect_length(stats::coef(fit), 9L)
  error <- withr::with_options(list(srspark.max_model_columns = 5), tryCatch(srs_glm(mpg ~ cyl_s * gear_s, cars), error = function(e) e))
  expect_match(conditionMessage(error), "the model has 8 model columns, more than srspark.max_model_columns allows (5)", fixed = TRUE)
})

test_that("a table of too many columns is not copied into Spark", {
  error <- withr::with_options(list(srspark.max_copy_columns = 100), tryCatch(copy_to(con, as.data.frame(matrix(1, 1, 101)), unique_name("t_too_wide")), error = function(e) e))
  expect_match(conditionMessage(error), "101 columns copied into Spark at once, more than srspark.max_copy_columns allows (100)", fixed = TRUE)
})
