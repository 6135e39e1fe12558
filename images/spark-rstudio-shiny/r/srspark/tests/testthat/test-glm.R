# srs_glm() against stats::glm() on the same rows: same names, same order, same numbers.
library(dplyr, warn.conflicts = FALSE)

expect_same_fit <- function(fit, reference, relative = 1e-6, absolute = 1e-8, deviance = 1e-7) {
  expected <- stats::coef(reference)
  expect_identical(names(stats::coef(fit)), names(expected))
  got <- stats::coef(fit)
  expect_identical(is.na(got), is.na(expected))
  keep <- !is.na(expected)
  expect_true(all(abs(got[keep] - expected[keep]) <= pmax(relative * abs(expected[keep]), absolute)),
    info = paste(capture.output(print(rbind(spark = got, glm = expected))), collapse = "\n"))
  se <- summary(reference)$coefficients[, "Std. Error"]
  expect_true(all(abs(fit$std_errors[names(se)] - se) <= pmax(1e-5 * se, absolute)),
    info = paste(capture.output(print(rbind(spark = fit$std_errors[names(se)], glm = se))), collapse = "\n"))
  expect_equal(fit$deviance, stats::deviance(reference), tolerance = deviance)
  expect_equal(fit$null_deviance, reference$null.deviance, tolerance = 1e-7)
  expect_identical(fit$df_residual, as.numeric(reference$df.residual))
}

mtcars_local <- transform(datasets::mtcars, cyl_s = as.character(cyl), gear_s = as.character(gear), manual = am == 1)
mtcars_remote <- copy_to(con, mtcars_local, unique_name("t_mtcars_glm"))

test_that("gaussian with a factor and an interaction equals glm()", {
  formula <- mpg ~ wt * cyl_s + hp
  expect_same_fit(srs_glm(formula, mtcars_remote), stats::glm(formula, data = mtcars_local), relative = 1e-8)
  tooth <- transform(datasets::ToothGrowth, supp = as.character(supp))
  expect_same_fit(srs_glm(len ~ supp * dose, copy_to(con, tooth, unique_name("t_tooth"))), stats::glm(len ~ supp * dose, data = tooth), relative = 1e-8)
})

test_that("gaussian with weights, no intercept, I() and log() equals glm()", {
  formula <- mpg ~ log(hp) + I(wt^2) + gear_s - 1
  expect_same_fit(srs_glm(formula, mtcars_remote, weights = "qsec"), stats::glm(formula, data = mtcars_local, weights = qsec))
})

test_that("gaussian is one Spark pass, also without intercept, with a factor coded by all its levels and a logical", {
  formula <- mpg ~ cyl_s + manual + wt:gear_s - 1
  fit <- srs_glm(formula, mtcars_remote)
  expect_same_fit(fit, stats::glm(formula, data = mtcars_local), relative = 1e-8)
  expect_identical(fit$passes, 1L)
})

test_that("gaussian takes its levels from the complete rows only, as glm() does", {
  local <- data.frame(
    y = c(1.5, 2.7, 3.25, 4.1, 5.5, 6.2, 7.9, 8.3, 2.2, 3.9, 9, 5.05),
    x = c(1, 2, 3, 4, 5, 6.5, 7, 8, 2.5, 3.5, NA, 4.5),
    g = c("b", "a", "b", "a", "c", "c", "a", "b", "c", "a", "d", "b")
  )
  remote <- copy_to(con, local, unique_name("t_levels"))
  expect_same_fit(srs_glm(y ~ x * g, remote), stats::glm(y ~ x * g, data = local), relative = 1e-8)
})

test_that("gaussian leaves out rows with a NaN, as glm() does, in a second pass taken only then", {
  # copy_to() sends NaN as missing: the NaN are made in Spark, where a double can hold one.
  local <- transform(mtcars_local, wt_nan = ifelse(hp > 200, NaN, wt))
  name <- unique_name("t_nan")
  copy_to(con, mtcars_local, name)
  view <- unique_name("t_nan_view")
  DBI::dbExecute(con, sprintf("CREATE TEMPORARY VIEW %s AS SELECT *, CASE WHEN hp > 200 THEN CAST('NaN' AS DOUBLE) ELSE wt END AS wt_nan FROM %s", view, name))
  expect_identical(sum(is.nan(DBI::dbGetQuery(con, sprintf("SELECT wt_nan FROM %s", view))$wt_nan)), sum(local$hp > 200))
  fit <- srs_glm(mpg ~ wt_nan + cyl_s, view)
  expect_same_fit(fit, stats::glm(mpg ~ wt_nan + cyl_s, data = local), relative = 1e-8)
  expect_identical(fit$passes, 2L)
  expect_identical(srs_glm(mpg ~ wt + cyl_s, view)$passes, 1L)
})

test_that("a gaussian fit's groups are the complete rows' counts and means per group, as dplyr has them", {
  local <- transform(mtcars_local, wt = ifelse(carb == 4, NA, wt))
  remote <- copy_to(con, local, unique_name("t_groups"))
  fit <- srs_glm(mpg ~ wt + wt:hp + cyl_s + manual, remote)
  expected <- local |>
    filter(!is.na(wt)) |>
    mutate(manual = toupper(manual)) |>
    group_by(cyl_s, manual) |>
    summarise(
      n = n(), mean_wt = mean(wt), `mean_wt:hp` = mean(wt * hp), mean_mpg = mean(mpg),
      .groups = "drop"
    ) |>
    arrange(cyl_s, manual)
  expect_identical(names(fit$groups), names(expected))
  expect_identical(fit$groups$cyl_s, expected$cyl_s)
  expect_identical(fit$groups$manual, expected$manual)
  expect_identical(fit$groups$n, as.numeric(expected$n))
  for (mean in c("mean_wt", "mean_wt:hp", "mean_mpg")) {
    expect_equal(fit$groups[[mean]], expected[[mean]], tolerance = 1e-12, info = mean)
  }
  # Without a categorical column, one group: all the complete rows.
  whole <- srs_glm(mpg ~ wt, remote)$groups
  expect_identical(names(whole), c("n", "mean_wt", "mean_mpg"))
  expect_identical(whole$n, as.numeric(sum(!is.na(local$wt))))
  expect_equal(whole$mean_wt, mean(local$wt, na.rm = TRUE), tolerance = 1e-12)
  # The fits that iterate have no such pass.
  expect_null(srs_glm(manual ~ wt, remote, family = "binomial")$groups)
})

test_that("gaussian on data far from zero takes a second, stable pass and still equals lm()", {
  # Sums around zero of values near 1e5 that vary by 10 keep only about 7 digits of their spread.
  far_local <- data.frame(x = 1e5 + seq(0, 10, length.out = 500), g = rep(c("a", "b"), 250))
  far_local$y <- 3 + 2 * (far_local$x - 1e5) + ifelse(far_local$g == "b", 0.5, 0) + sin(seq_len(500)) / 10
  fit <- srs_glm(y ~ x + g, copy_to(con, far_local, unique_name("t_far")))
  expect_identical(fit$passes, 2L)
  expect_same_fit(fit, stats::glm(y ~ x + g, data = far_local), relative = 1e-8, deviance = 1e-6)
  near <- srs_glm(y ~ I(x - 1e5) + g, copy_to(con, far_local, unique_name("t_near")))
  expect_identical(near$passes, 1L)
})

test_that("a deliberately ill-conditioned polynomial design still matches lm() within 1e-6", {
  x <- seq(1, 3, length.out = 2000)
  poly_local <- data.frame(x = x, y = 1 + 2 * x - 3 * x^2 + 0.5 * x^3 + sin(37 * x) / 10)
  poly_remote <- copy_to(con, poly_local, unique_name("t_poly"))
  formula <- y ~ x + I(x^2) + I(x^3) + I(x^4)
  fit <- srs_glm(formula, poly_remote)
  expect_gt(fit$condition, 1e6)
  # The residual sum of squares comes from the normal equations too: about 6 digits here.
  expect_same_fit(fit, stats::glm(formula, data = poly_local), deviance = 1e-5)
})

test_that("binomial with a factor and a logical response equals glm()", {
  infert_local <- transform(datasets::infert, education = as.character(education), case = case == 1)
  infert_remote <- copy_to(con, infert_local, unique_name("t_infert"))
  formula <- case ~ spontaneous + induced + education + age
  fit <- srs_glm(formula, infert_remote, family = binomial)
  expect_same_fit(fit, stats::glm(formula, data = infert_local, family = binomial))
  expect_true(fit$converged)
  expect_gt(fit$passes, 2L)
})

test_that("binomial and poisson on more rows than the start's sample equal glm(), in a few full passes", {
  local <- transform(srs_reference_synthetic(60000, seed = 5), hit = y > 3.25, k = floor(y))
  remote <- srs_synthetic(con, 60000, seed = 5, name = unique_name("t_irls_sample")) |>
    dplyr::mutate(hit = y > 3.25, k = floor(y))
  for (case in list(list(hit ~ x + segment, binomial), list(k ~ x * segment, poisson))) {
    fit <- srs_glm(case[[1]], remote, family = case[[2]])
    expect_same_fit(fit, stats::glm(case[[1]], family = case[[2]], data = local), relative = 1e-8)
    expect_true(fit$converged)
    # glm() takes 5 to 8 iterations on these; from the sample's fit, at most 3 on the full data.
    expect_lte(fit$iterations, 3L)
  }
})

test_that("the null deviance from the first pass's sums equals glm()'s, for proportions, counts and Gamma", {
  # Proportions with their trials as weights (y log y terms that are not 0), large counts (sums
  # that could cancel), a Gamma response, and a model without intercept (the null mean at eta 0).
  local <- data.frame(
    trials = c(12, 7, 30, 5, 18, 9, 22, 14, 40, 11),
    hits = c(3, 5, 11, 0, 9, 9, 4, 7, 31, 2),
    x = c(0.3, 1.2, 0.8, -0.5, 0.9, 2.1, -0.2, 0.4, 1.7, 0.1),
    count = c(1520, 1730, 1610, 1405, 1690, 1980, 1460, 1555, 1890, 1500)
  )
  local$share <- local$hits / local$trials
  remote <- copy_to(con, local, unique_name("t_null_dev"))
  cases <- list(
    list(share ~ x, binomial, "trials"), list(count ~ x, poisson, NULL),
    list(count ~ x - 1, poisson, NULL), list(count ~ x, Gamma(link = "log"), "trials")
  )
  for (case in cases) {
    fit <- srs_glm(case[[1]], remote, family = case[[2]], weights = case[[3]])
    reference <- suppressWarnings(stats::glm(case[[1]],
      family = case[[2]], data = local,
      weights = if (is.null(case[[3]])) NULL else local[[case[[3]]]]
    ))
    label <- paste(deparse(case[[1]]), fit$family$family)
    expect_equal(fit$null_deviance, reference$null.deviance, tolerance = 1e-10, info = label)
    expect_equal(fit$deviance, stats::deviance(reference), tolerance = 1e-8, info = label)
  }
})

test_that("a start that fits worse than the null model falls back to the family's own start", {
  local <- transform(srs_reference_synthetic(30000, seed = 6), hit = y > 3.25)
  remote <- srs_synthetic(con, 30000, seed = 6, name = unique_name("t_irls_start")) |>
    dplyr::mutate(hit = y > 3.25)
  entry <- srspark:::glm_family(binomial)
  terms <- srspark:::model_design(hit ~ x + segment, remote,
    response_kind = "binary", defer_levels = TRUE
  )
  layout <- srspark:::group_layout(terms)
  first <- srspark:::first_pass(terms, layout, entry)
  # Coefficients far off: every row's probability near 1.
  fit <- srspark:::fit_sql(first$design, layout, entry, 1e-8, 25L,
    null_eta = first$null_eta, null_deviance = first$null_deviance, start = rep(20, 9)
  )
  reference <- stats::glm(hit ~ x + segment, family = binomial, data = local)
  expect_true(fit$converged)
  expect_equal(unname(fit$coefficients), unname(coef(reference)), tolerance = 1e-8)
  expect_equal(fit$deviance, stats::deviance(reference), tolerance = 1e-8)
  expect_equal(fit$null_deviance, reference$null.deviance, tolerance = 1e-8)
})

test_that("a start from a sample that lacks levels (the reference among them) still equals glm()", {
  # Two rare segments, one of them sorting first (the reference level of all the rows), that a
  # sample could miss: the first iteration finds them and makes the design of all the rows.
  local <- transform(srs_reference_synthetic(30000, seed = 8), k = floor(y))
  local$segment[c(5, 900, 17000)] <- "0rare"
  local$segment[c(40, 23000)] <- "Zrare"
  remote <- copy_to(con, local, unique_name("t_irls_levels"))
  entry <- srspark:::glm_family(poisson)
  terms <- srspark:::model_design(k ~ x * segment, remote, response_kind = "count", defer_levels = TRUE)
  layout <- srspark:::group_layout(terms)
  common <- local[!local$segment %in% c("0rare", "Zrare"), ]
  sample_design <- srspark:::design_with_levels(terms, list(levels = list(segment = LETTERS[1:8])))
  complete <- function(key_values) {
    srspark:::design_with_levels(terms, list(levels = srspark:::levels_of(key_values)))
  }
  start <- coef(stats::glm(k ~ x * segment, family = poisson, data = common))
  fit <- srspark:::fit_sql(sample_design, layout, entry, 1e-8, 25L,
    start = start, complete = complete
  )
  reference <- stats::glm(k ~ x * segment, family = poisson, data = local)
  expect_true(fit$converged)
  expect_identical(names(fit$coefficients), names(coef(reference)))
  expect_equal(unname(fit$coefficients), unname(coef(reference)), tolerance = 1e-8)
  expect_equal(fit$deviance, stats::deviance(reference), tolerance = 1e-8)
  expect_equal(fit$null_deviance, reference$null.deviance, tolerance = 1e-10)
  # And srs_glm() itself, whatever its sample holds.
  expect_same_fit(srs_glm(k ~ x * segment, remote, family = poisson), reference, relative = 1e-8)
})

test_that("poisson with two factors and their interaction equals glm()", {
  breaks_local <- transform(datasets::warpbreaks, wool = as.character(wool), tension = as.character(tension))
  breaks_remote <- copy_to(con, breaks_local, unique_name("t_breaks"))
  formula <- breaks ~ wool * tension
  expect_same_fit(srs_glm(formula, breaks_remote, family = "poisson"), stats::glm(formula, data = breaks_local, family = poisson))
})

test_that("a factor copied to Spark keeps its levels in the model, as in glm()", {
  # warpbreaks, poisson: tension's levels are L, M, H (not alphabetical).
  breaks <- datasets::warpbreaks
  breaks_remote <- copy_to(con, breaks, unique_name("t_breaks_factors"))
  fit <- srs_glm(breaks ~ wool * tension, breaks_remote, family = "poisson")
  expect_identical(
    names(coef(fit)),
    c("(Intercept)", "woolB", "tensionM", "tensionH", "woolB:tensionM", "woolB:tensionH")
  )
  expect_same_fit(fit, stats::glm(breaks ~ wool * tension, data = breaks, family = poisson))
  # iris, gaussian: a reference level set by relevel().
  flowers <- transform(datasets::iris, Species = stats::relevel(Species, "virginica"))
  flowers_remote <- copy_to(con, flowers, unique_name("t_iris_factors"))
  formula <- Sepal.Length ~ Petal.Width * Species
  expected <- stats::glm(formula, data = flowers)
  expect_same_fit(srs_glm(formula, flowers_remote), expected, relative = 1e-8)
  # infert, binomial: education's levels 0-5yrs, 6-11yrs, 12+ yrs.
  infert_local <- transform(datasets::infert, case = case == 1)
  infert_remote <- copy_to(con, infert_local, unique_name("t_infert_factor"))
  formula <- case ~ spontaneous + induced + education + age
  expected <- stats::glm(formula, data = infert_local, family = binomial)
  expect_same_fit(srs_glm(formula, infert_remote, family = binomial), expected)
})

test_that("xlev gives the levels of text columns, as glm() has them from factors", {
  breaks <- datasets::warpbreaks
  name <- unique_name("t_breaks_text")
  copy_to(con, transform(breaks, wool = as.character(wool), tension = as.character(tension)), name)
  tension <- list(tension = c("L", "M", "H"))
  fit <- srs_glm(breaks ~ wool * tension, name, family = "poisson", xlev = tension)
  expect_same_fit(fit, stats::glm(breaks ~ wool * tension, data = breaks, family = poisson))
  fit_with <- function(xlev) srs_glm(breaks ~ tension, name, xlev = xlev)
  expect_error(
    fit_with(list(tension = c("L", "M"))),
    "column tension has values that are not among its levels \\(L, M\\): H"
  )
  expect_error(fit_with(list(breaks = c("1"))), "xlev names breaks, which is not a text column")
  expect_error(fit_with(c(tension = "L")), "xlev must be a list")
  expect_error(fit_with(list(tension = c("L", "L"))), "distinct, non-missing levels")
})

test_that("an ordered factor is refused (glm() uses contr.poly), unless xlev gives its levels", {
  sized <- transform(datasets::warpbreaks, tension = factor(tension, ordered = TRUE))
  remote <- copy_to(con, sized, unique_name("t_breaks_ordered"))
  expect_error(srs_glm(breaks ~ tension, remote), "column tension was written as an ordered factor")
  fit <- srs_glm(breaks ~ tension, remote, xlev = list(tension = c("L", "M", "H")))
  expect_same_fit(fit, stats::glm(breaks ~ tension, data = datasets::warpbreaks), relative = 1e-8)
})

test_that("rows with a missing value are left out, and an aliased column is NA, as in glm()", {
  air <- airquality_dated()
  air$twice_wind <- 2 * air$Wind
  air_remote <- copy_to(con, air, unique_name("t_air_glm"))
  formula <- Ozone ~ Solar.R + Wind + twice_wind + Temp
  expect_same_fit(srs_glm(formula, air_remote), stats::glm(formula, data = air))
})

test_that("a view name works as data, and predict() scores a table like predict.glm()", {
  name <- unique_name("t_by_name")
  copy_to(con, mtcars_local, name)
  fit <- srs_glm(manual ~ hp + wt, name, family = binomial)
  reference <- stats::glm(manual ~ hp + wt, data = mtcars_local, family = binomial)
  expect_same_fit(fit, reference)
  scored <- predict(fit, mtcars_remote, type = "response") |> select(mpg, hp, wt, .fitted) |> collect()
  expected <- transform(mtcars_local, .fitted = stats::predict(reference, mtcars_local, type = "response"))
  scored <- sorted(scored, c("hp", "wt", "mpg"))
  expected <- sorted(expected[c("mpg", "hp", "wt", ".fitted")], c("hp", "wt", "mpg"))
  expect_equal(scored$.fitted, expected$.fitted, tolerance = 1e-7)
})

test_that("bad models are refused before anything runs, naming what is wrong", {
  expect_error(srs_glm(mpg ~ wt + nosuch, mtcars_remote), "unknown column\\(s\\) nosuch in the formula")
  expect_error(srs_glm("mpg ~ wt; system('id')", mtcars_remote), "bad formula")
  expect_error(srs_glm(mpg ~ poly(wt, 2), mtcars_remote), "poly\\(wt, 2\\) is not supported")
  expect_error(srs_glm(mpg ~ wt + offset(hp), mtcars_remote), "not supported")
  expect_error(srs_glm(cyl_s ~ wt, mtcars_remote), "must be numeric")
  expect_error(srs_glm(mpg ~ wt, mtcars_remote, family = "gamma"), "family must be one of")
  expect_error(srs_glm(mpg ~ wt, mtcars_remote, family = binomial), "needs a response from 0 to 1")
  expect_error(srs_glm(mpg ~ wt, mtcars_remote, family = Gamma), "log link, not inverse")
  expect_error(srs_glm(mpg ~ wt, mtcars_remote, family = poisson("sqrt")), "log link, not sqrt")
  expect_error(srs_glm(vs ~ wt, mtcars_remote, family = "Gamma"), "needs a response above 0, got 0")
  expect_error(srs_glm(mpg ~ wt, mtcars_remote, weights = "nosuch"), "weights must name a numeric column")
  expect_error(srs_glm(mpg ~ wt, data.frame(mpg = 1, wt = 2)), "lazy table of a srs_connect")
})

test_that("the MLlib fallback fits the same model", {
  fit <- srs_glm(mpg ~ wt + hp + cyl_s, mtcars_remote, method = "mllib")
  expect_identical(fit$method, "mllib")
  expect_same_fit(fit, stats::glm(mpg ~ wt + hp + cyl_s, data = mtcars_local), relative = 1e-6)
})

test_that("binomial over text and logical columns only (no double column to check for NaN) equals glm()", {
  formula <- manual ~ cyl_s
  expect_same_fit(srs_glm(formula, mtcars_remote, family = binomial), stats::glm(formula, data = mtcars_local, family = binomial))
})

test_that("Gamma with a log link equals glm(), its dispersion estimated as summary.glm() does", {
  formula <- mpg ~ wt + hp + cyl_s
  reference <- stats::glm(formula, data = mtcars_local, family = Gamma(link = "log"))
  fit <- srs_glm(formula, mtcars_remote, family = Gamma(link = "log"))
  expect_same_fit(fit, reference)
  expect_equal(fit$dispersion, summary(reference)$dispersion, tolerance = 1e-7)
  expect_identical(fit$statistic_name, "t")
  expect_true(fit$converged)
  # By name, the log link; scored as predict.glm() scores.
  by_name <- srs_glm(formula, mtcars_remote, family = "Gamma")
  expect_same_fit(by_name, reference)
  scored <- predict(by_name, mtcars_remote, type = "response") |>
    select(mpg, hp, wt, .fitted) |>
    collect()
  expected <- transform(mtcars_local, .fitted = stats::predict(reference, mtcars_local, type = "response"))
  scored <- sorted(scored, c("hp", "wt", "mpg"))
  expected <- sorted(expected[c("mpg", "hp", "wt", ".fitted")], c("hp", "wt", "mpg"))
  expect_equal(scored$.fitted, expected$.fitted, tolerance = 1e-7)
})

test_that("Gamma with weights and the MLlib fallback fit glm()'s model", {
  weighted <- srs_glm(mpg ~ wt + gear_s, mtcars_remote, family = Gamma(link = "log"), weights = "carb")
  expect_same_fit(
    weighted,
    stats::glm(mpg ~ wt + gear_s, data = mtcars_local, family = Gamma(link = "log"), weights = carb)
  )
  fit <- srs_glm(mpg ~ wt + hp, mtcars_remote, family = Gamma(link = "log"), method = "mllib")
  expect_identical(fit$method, "mllib")
  reference <- stats::glm(mpg ~ wt + hp, data = mtcars_local, family = Gamma(link = "log"))
  expect_same_fit(fit, reference)
  expect_equal(fit$dispersion, summary(reference)$dispersion, tolerance = 1e-6)
})
