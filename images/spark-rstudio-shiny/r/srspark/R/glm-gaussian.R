# Least squares without weights at the speed of an aggregate: one pass of plain sums (a second,
# stable one for data far from zero, or to leave out rows with a NaN).

# Unweighted least squares in one Spark pass: the complete rows grouped by the values of the
# model's categorical variables, each group's count and the sums of the terms' numeric parts, of
# the response and of their products (plain sums, the cheapest aggregate Spark has). Sums taken
# around zero lose digits when a column's mean is far from zero compared with its spread; when
# any column's is, a second pass takes the groups' means and covariances with Spark's one-pass
# stable algorithm instead (slower, exact). The groups' keys are the levels. Returns the design,
# its moments, the passes it took and the groups' counts and means (group_means()).
#
# The first pass checks for NULL only: a NaN check in the WHERE clause makes Spark compute each
# column it checks twice, once for the check and once for the sums (at 10^7 rows of the synthetic
# data, 0.92 s against 0.74 s). A NaN in a column makes its sums NaN; then the pass is taken
# again with the NaN checks, leaving those rows out as glm() does.
grouped_gaussian <- function(terms) {
  layout <- group_layout(terms)
  rows_where <- function(where) {
    sprintf(
      "SELECT %s FROM (%s) srs_model_data WHERE %s",
      paste(c(layout$select, sprintf("CAST(%s AS DOUBLE) AS srs_y", terms$response$sql)), collapse = ", "), terms$source, where
    )
  }
  rows <- rows_where(terms$where)
  passes <- 1L
  found <- gaussian_group_sums(layout, rows_where(terms$where_not_null))
  if (isTRUE(found$nan) && terms$where_not_null != terms$where) {
    passes <- passes + 1L
    found <- gaussian_group_sums(layout, rows)
  }
  if (is.null(found$groups)) {
    passes <- passes + 1L
    found <- gaussian_group_covariances(layout, rows)
  }
  groups <- found$groups
  key_values <- group_keys(groups, layout$categorical)
  levels <- lapply(key_values, function(values) sort(unique(values), method = "radix"))
  design <- design_with_levels(terms, list(levels = levels, rows = sum(found$stats$w)))
  moments <- combine_groups(found$stats, design, layout, key_values)
  response <- terms$labels[[attr(terms$tt, "response")]]
  list(
    design = design, moments = c(moments, list(n_ok = moments$sw)), passes = passes,
    groups = group_means(found$stats, key_values, layout, response)
  )
}

# How far (in squared standard deviations) a column's mean may sit from zero before sums around
# zero lose too many digits: each ten-fold costs about one.
FAR_FROM_ZERO <- 1e3

# Each group's count, means and population covariances from plain sums of the numeric parts (u),
# the response and their products; list(nan = TRUE) when a sum is NaN (a NaN in the rows), and
# no groups when a column's mean over all rows is more than sqrt(FAR_FROM_ZERO) standard
# deviations from zero (or it does not vary), where sums lose digits.
gaussian_group_sums <- function(layout, rows) {
  q <- length(layout$numeric_parts)
  ij <- pairs_of(q)
  groups <- nonempty_groups(fetch_groups(layout, rows, c(
    "COUNT(*) AS n", sprintf("SUM(u%d) AS a_%d", seq_len(q), seq_len(q)), "SUM(srs_y) AS a_0",
    sprintf("SUM(u%d * u%d) AS b_%d_%d", ij[, 1], ij[, 2], ij[, 1], ij[, 2]),
    sprintf("SUM(u%d * srs_y) AS b_%d_0", seq_len(q), seq_len(q)), "SUM(srs_y * srs_y) AS b_0_0"
  )))
  sums <- grep("^[ab]_", names(groups), value = TRUE)
  has_nan <- function(column) any(is.nan(as.numeric(column)))
  if (any(vapply(groups[sums], has_nan, logical(1)))) return(list(nan = TRUE))
  n <- as.numeric(groups$n)
  total <- function(name) sum(as.numeric(groups[[name]]))
  columns <- c(seq_len(q), 0L)
  mean_all <- vapply(sprintf("a_%d", columns), total, numeric(1)) / sum(n)
  spread_all <- vapply(sprintf("b_%d_%d", columns, columns), total, numeric(1)) / sum(n) - mean_all^2
  unstable <- any(!is.finite(spread_all)) || any(spread_all <= 0) ||
    any(mean_all^2 > FAR_FROM_ZERO * spread_all)
  if (unstable) return(list())
  list(groups = groups, stats = stats_from_sums(groups, n, rep(0, q + 1L), ij))
}

# Each group's count, means and population covariances as Spark's stable one-pass aggregates
# compute them (AVG, COVAR_POP, VAR_POP): exact wherever the data sit.
gaussian_group_covariances <- function(layout, rows) {
  q <- length(layout$numeric_parts)
  ij <- pairs_of(q)
  groups <- nonempty_groups(fetch_groups(layout, rows, c(
    "COUNT(*) AS n", sprintf("AVG(u%d) AS m%d", seq_len(q), seq_len(q)), "AVG(srs_y) AS m_y",
    sprintf("COVAR_POP(u%d, u%d) AS v%d_%d", ij[, 1], ij[, 2], ij[, 1], ij[, 2]),
    sprintf("COVAR_POP(u%d, srs_y) AS vy%d", seq_len(q), seq_len(q)), "VAR_POP(srs_y) AS yy"
  )))
  list(groups = groups, stats = list(
    w = as.numeric(groups$n),
    mean_u = as.matrix(groups[, sprintf("m%d", seq_len(q)), drop = FALSE]),
    mean_z = as.numeric(groups$m_y),
    cov_uu = symmetric_by_group(nrow(groups), q, ij, function(k, l) {
      as.numeric(groups[[sprintf("v%d_%d", k, l)]])
    }),
    cov_uz = as.matrix(groups[, sprintf("vy%d", seq_len(q)), drop = FALSE]),
    var_z = as.numeric(groups$yy)
  ))
}

finish_gaussian <- function(moments, design, passes) {
  solved <- solve_moments(moments, design)
  df_residual <- moments$n_ok - solved$rank
  dispersion <- if (df_residual > 0) solved$rss / df_residual else NaN
  null_deviance <- if (design$intercept) moments$zz else moments$zz + moments$sw * moments$mean_z^2
  new_fit(solved,
    dispersion = dispersion, deviance = solved$rss, null_deviance = null_deviance,
    df_residual = df_residual, df_null = moments$n_ok - design$intercept, rows = moments$n_ok,
    iterations = 1L, converged = TRUE, method = "sql", passes = passes
  )
}
