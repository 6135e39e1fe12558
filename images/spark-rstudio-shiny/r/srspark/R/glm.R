# Generalized linear models on any table, fitted from sufficient statistics: Spark computes, in
# one aggregate pass grouped by the values of the model's categorical variables, the (weighted)
# moments of the terms' numeric parts and of the response; R assembles the centred
# cross-products of the model matrix columns from the groups and solves the small p x p system.
# Gaussian models take one pass (two for data far from zero); the other families (glm-families.R)
# iterate as glm.fit() does, one pass per IRLS iteration, from a start fitted on a sample
# (glm-irls.R). A design too ill-conditioned for the normal equations falls back to Spark MLlib.

# Beyond this condition number (of the correlation matrix of the columns), the normal equations
# lose more than about 6 of the 16 digits: "auto" hands the fit to MLlib.
MAX_CONDITION <- 1e10

#' Fit a generalized linear model on the cluster
#'
#' Fits the model [stats::glm()] would fit to the same rows, from sufficient statistics Spark
#' computes: gaussian in one aggregate pass, the other families in one pass per IRLS iteration
#' (started from a fit on a sample of the rows, so that the full data takes two or three).
#' Coefficients are named and ordered as `glm()` names them, with standard errors, deviance and
#' degrees of freedom; rows with a missing value in a column the model uses are left out
#' (`na.omit`); aliased columns are `NA`.
#'
#' @param formula A model formula (or its text) over columns of `data`: numeric terms, factors,
#'   text and logical columns (treatment contrasts), interactions (`a:b`, `a*b`), `- 1`, `I()`
#'   of arithmetic and `log()`, `exp()`, `sqrt()`, `abs()`. It is parsed, never evaluated.
#' @param data A lazy table of a [srs_connect()] connection, or a view's name.
#' @param family `gaussian`, `binomial`, `poisson` (their canonical links) or
#'   `Gamma(link = "log")`: a family object, its function or its name (`"Gamma"` is the log
#'   link). Gamma's dispersion is estimated as `summary.glm()` does (Pearson).
#' @param weights The name of a numeric column of prior weights.
#' @param method `"auto"` (normal equations, Spark MLlib when the design is ill-conditioned),
#'   `"sql"` or `"mllib"`.
#' @param epsilon,maxit IRLS convergence, as [stats::glm.control()].
#' @param xlev Levels of text columns, as `glm()`'s `xlev`: a named list of character vectors
#'   (the first is the reference). A factor written by `copy_to()` or `dbWriteTable()` carries
#'   its own; other text columns take their values in alphabetical order.
#' @return An object of class `srs_glm`: `coef()`, `vcov()`, `summary()` and `predict()` work on
#'   it. A gaussian fit without weights also has `groups`, what its pass found for each value (or
#'   combination of values) of the model's text, factor and logical columns: those values, `n`
#'   the complete rows there and the means there of the response and of the terms' numeric
#'   parts, as `mean_` and their labels (`mean_y`, `mean_x`, `mean_x:z`); a per-group summary
#'   that needs no pass of its own. It is `NULL` for the other fits.
#' @seealso [predict.srs_glm()]
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' breaks <- dplyr::copy_to(con, warpbreaks, "breaks_example", overwrite = TRUE)
#' fit <- srs_glm(breaks ~ wool * tension, breaks, family = "poisson")
#' summary(fit)
#' all.equal(coef(fit), coef(glm(breaks ~ wool * tension, poisson, warpbreaks)))
srs_glm <- function(formula, data, family = stats::gaussian(), weights = NULL,
                    method = c("auto", "sql", "mllib"), epsilon = 1e-8, maxit = 25L, xlev = NULL) {
  started <- Sys.time()
  entry <- glm_family(family)
  method <- match.arg(method)
  kind <- entry$response
  if (identical(entry, GLM_FAMILIES$gaussian) && is.null(weights) && method != "mllib") {
    # Least squares at the speed of an aggregate: one pass finds the levels and the moments.
    terms <- model_design(formula, data, response_kind = kind, defer_levels = TRUE, xlev = xlev)
    grouped <- grouped_gaussian(terms)
    design <- grouped$design
    fit <- finish_gaussian(grouped$moments, design, passes = grouped$passes)
    groups <- grouped$groups
  } else {
    groups <- NULL
    terms <- model_design(formula, data,
      weights = weights, response_kind = kind, defer_levels = TRUE, xlev = xlev
    )
    if (method == "mllib") {
      design <- design_with_levels(terms, model_levels(terms$source, terms$where, terms$info[terms$categorical]))
      fit <- fit_mllib(design, entry)
    } else {
      fit <- fit_irls(terms, entry, epsilon, maxit)
      design <- fit$design
    }
  }
  if (method == "auto" && isTRUE(fit$condition > MAX_CONDITION)) {
    message(sprintf("srspark: the design's condition number is %.3g; fitting with Spark MLlib instead of the normal equations", fit$condition))
    fit <- fit_mllib(design, entry)
  }
  if (method == "sql" && isTRUE(fit$condition > MAX_CONDITION)) {
    warning(sprintf("the design's condition number is %.3g: the coefficients may have lost more than 6 digits", fit$condition), call. = FALSE)
  }
  fit$groups <- groups
  fit$family <- entry$family
  fit$formula <- design$formula
  fit$design <- design
  fit$seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  structure(fit, class = "srs_glm")
}

#' @export
coef.srs_glm <- function(object, ...) object$coefficients

#' @export
vcov.srs_glm <- function(object, ...) object$cov

#' @export
summary.srs_glm <- function(object, ...) {
  stat <- if (object$statistic_name == "t") c("t value", "Pr(>|t|)") else c("z value", "Pr(>|z|)")
  table <- cbind(object$coefficients, object$std_errors, object$statistic, object$p_values)
  dimnames(table) <- list(names(object$coefficients), c("Estimate", "Std. Error", stat))
  structure(list(coefficients = table, fit = object), class = "summary.srs_glm")
}

#' @export
print.summary.srs_glm <- function(x, ...) {
  fit <- x$fit
  cat("Spark GLM (", fit$family$family, ", ", fit$family$link, " link) by ", if (fit$method == "sql") "Spark SQL aggregates" else "Spark MLlib",
    ": ", format(fit$rows, big.mark = ","), " rows, ", fit$passes, " pass(es) over the data, ", sprintf("%.2f", fit$seconds), " s\n", sep = "")
  cat(deparse(fit$formula, width.cutoff = 500L), "\n\n", sep = "")
  stats::printCoefmat(x$coefficients, ...)
  cat("\nResidual deviance:", format(fit$deviance), "on", fit$df_residual, "degrees of freedom\n")
  cat("Null deviance:    ", format(fit$null_deviance), "on", fit$df_null, "degrees of freedom\n")
  invisible(x)
}

#' @export
print.srs_glm <- function(x, ...) print(summary(x), ...)

#' Score a table with a model fitted by srs_glm()
#'
#' Spark computes the linear predictor or the mean for every row; levels the model did not see
#' give `NA`.
#'
#' @param object A fit from [srs_glm()].
#' @param newdata A lazy table of a [srs_connect()] connection, or a view's name, with the
#'   model's columns.
#' @param type `"link"` (the linear predictor) or `"response"` (the mean).
#' @param name The result's view name; a fresh one by default.
#' @param ... Unused.
#' @return A lazy table: the columns of `newdata` and `.fitted`.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' cars <- dplyr::copy_to(con, mtcars, "cars_example", overwrite = TRUE)
#' fit <- srs_glm(am ~ wt, cars, family = "binomial")
#' predict(fit, cars, type = "response")
predict.srs_glm <- function(object, newdata, type = c("link", "response"), name = NULL, ...) {
  type <- match.arg(type)
  design <- object$design
  source <- model_source(newdata)
  b <- object$coefficients
  columns <- design$columns
  terms <- c(if (design$intercept) number(b[["(Intercept)"]]), sprintf("%s * %s", vapply(b[columns$name], function(v) if (is.na(v)) "0.0D" else number(v), character(1)), columns$sql))
  eta <- if (length(terms) == 0L) "0.0D" else paste(terms, collapse = " + ")
  predictors <- Filter(function(v) v$label != design$response_label, design$categorical)
  known <- vapply(predictors, function(v) {
    levels <- if (v$kind == "logical") tolower(v$levels) else v$levels
    sprintf("CAST(%s AS STRING) IN (%s)", v$sql, paste(quote_text(levels), collapse = ", "))
  }, character(1))
  if (length(known) > 0L) eta <- sprintf("CASE WHEN %s THEN %s END", paste(known, collapse = " AND "), eta)
  mu <- glm_family(object$family)$sql$mu
  fitted <- if (type == "link") eta else mu(sprintf("(%s)", eta))
  con <- srs_connect()
  name <- if (is.null(name)) fresh_view_name("srs_predicted") else table_name(name)
  dbExecute(con, sprintf("CREATE OR REPLACE TEMPORARY VIEW %s AS SELECT *, %s AS %s FROM (%s) srs_newdata", quote_identifier(name), fitted, quote_identifier(".fitted"), source))
  dplyr::tbl(con, name)
}
