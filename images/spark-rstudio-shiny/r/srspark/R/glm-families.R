# What srs_glm() knows of a family: one entry per family, with the one link it fits. Everything
# else (the response check, IRLS's passes, the dispersion, the MLlib fallback, predict()) reads
# the entry, so adding a family is one entry here and its test against stats::glm().
#
# An entry:
#   family      the stats family object glm() takes (its linkfun() starts the null model)
#   response    what model_design() accepts as the response: "numeric", "binary" or "count"
#   check       function(min_y, max_y): NULL, or why the response does not fit the family
#   dispersion  "one" (binomial, poisson), "deviance" (gaussian: RSS / df) or "pearson" (the
#               Pearson statistic / df, as summary.glm() estimates it)
#   mllib       the family and link of MLlib's GeneralizedLinearRegression, for the fallback
#   sql         the SQL of the family's pieces, as R's family functions compute them (same
#               clamps as their C code): start_eta(y, pw), mu(eta), mu_eta(eta), variance(mu),
#               deviance(y, mu, pw); optionally rows(eta), the projections that give a row's
#               srs_mu and srs_mu_eta with each transcendental function computed once, and
#               weight(mu, mu_eta, pw) and working(eta, y, mu, mu_eta) where the general IRLS
#               forms would round differently from glm.fit()
#   null        (every family but gaussian) the deviance of a row at a constant mean mu0 as
#               h(y) + a(mu0) y + b(mu0): h(y) as SQL, a and b as R functions, so that the null
#               model's deviance is three sums of the first pass (sum_null_deviance())

DBL_EPSILON <- .Machine$double.eps

number <- function(x) {
  if (!is.finite(x)) stop("the fit diverged (a coefficient is not finite); check the data and the formula", call. = FALSE)
  sprintf("%.17gD", x)
}

# R's logit link: inverse and derivative clamped at |eta| > 30, as in family.c. Both are
# written around exp(eta), clamped (logit_exp); rows() computes it once per row.
logit_exp <- function(eta) {
  sprintf(
    "(CASE WHEN %1$s < -30.0D THEN %2$s WHEN %1$s > 30.0D THEN %3$s ELSE EXP(%1$s) END)",
    eta, number(DBL_EPSILON), number(1 / DBL_EPSILON)
  )
}
logit_from_exp <- list(
  mu = function(e) sprintf("(%1$s / (1.0D + %1$s))", e),
  mu_eta = function(eta, e) {
    sprintf(
      "(CASE WHEN %1$s < -30.0D OR %1$s > 30.0D THEN %2$s ELSE %3$s / ((1.0D + %3$s) * (1.0D + %3$s)) END)",
      eta, number(DBL_EPSILON), e
    )
  }
)
logit_sql <- list(
  mu = function(eta) logit_from_exp$mu(logit_exp(eta)),
  mu_eta = function(eta) logit_from_exp$mu_eta(eta, sprintf("EXP(%s)", eta)),
  rows = function(eta) {
    list(
      c(srs_exp = logit_exp(eta)),
      c(srs_mu = logit_from_exp$mu("srs_exp"), srs_mu_eta = logit_from_exp$mu_eta(eta, "srs_exp"))
    )
  }
)

# R's log link: exp(eta), at least the machine epsilon, for the mean and its derivative.
log_mu <- function(eta) sprintf("GREATEST(EXP(%s), %s)", eta, number(DBL_EPSILON))
log_sql <- list(
  mu = log_mu,
  mu_eta = log_mu,
  rows = function(eta) list(c(srs_mu = log_mu(eta)), c(srs_mu_eta = "srs_mu"))
)

# y log(y / mu), 0 at y = 0 (R's y_log_y).
y_log_y_sql <- function(y, mu) sprintf("(CASE WHEN %1$s > 0.0D THEN %1$s * LN(%1$s / %2$s) ELSE 0.0D END)", y, mu)

GLM_FAMILIES <- list(
  gaussian = list(
    family = stats::gaussian(),
    response = "numeric",
    check = function(min_y, max_y) NULL,
    dispersion = "deviance",
    mllib = c(family = "gaussian", link = "identity"),
    sql = list(
      start_eta = function(y, pw) y,
      mu = function(eta) eta,
      mu_eta = function(eta) "1.0D",
      variance = function(mu) "1.0D",
      deviance = function(y, mu, pw) sprintf("%s * (%s - %s) * (%s - %s)", pw, y, mu, y, mu),
      weight = function(mu, mu_eta, pw) pw,
      working = function(eta, y, mu, mu_eta) y
    )
  ),
  binomial = list(
    family = stats::binomial(),
    response = "binary",
    check = function(min_y, max_y) {
      if (min_y >= 0 && max_y <= 1) return(NULL)
      paste0(
        "the binomial family needs a response from 0 to 1 (or logical, or text with two or more ",
        "values), got values from ", min_y, " to ", max_y
      )
    },
    dispersion = "one",
    mllib = c(family = "binomial", link = "logit"),
    sql = list(
      start_eta = function(y, pw) {
        mu <- sprintf("((%s * %s + 0.5D) / (%s + 1.0D))", pw, y, pw)
        sprintf("LN(%s / (1.0D - %s))", mu, mu)
      },
      mu = logit_sql$mu,
      mu_eta = logit_sql$mu_eta,
      rows = logit_sql$rows,
      variance = function(mu) sprintf("(%s * (1.0D - %s))", mu, mu),
      deviance = function(y, mu, pw) {
        one_minus <- function(x) sprintf("(1.0D - %s)", x)
        sprintf(
          "2.0D * %s * (%s + %s)",
          pw, y_log_y_sql(y, mu), y_log_y_sql(one_minus(y), one_minus(mu))
        )
      }
    ),
    # 2 (y log(y / mu) + (1 - y) log((1 - y) / (1 - mu))); h is 0 for a response of 0 and 1.
    null = list(
      h = function(y) {
        sprintf(
          "(CASE WHEN %1$s > 0.0D AND %1$s < 1.0D THEN 2.0D * (%1$s * LN(%1$s) + (1.0D - %1$s) * LN(1.0D - %1$s)) ELSE 0.0D END)",
          y
        )
      },
      a = function(mu) 2 * (log1p(-mu) - log(mu)),
      b = function(mu) -2 * log1p(-mu)
    )
  ),
  poisson = list(
    family = stats::poisson(),
    response = "count",
    check = function(min_y, max_y) {
      if (min_y >= 0) NULL else paste0("the poisson family needs counts of 0 or more, got ", min_y)
    },
    dispersion = "one",
    mllib = c(family = "poisson", link = "log"),
    sql = list(
      start_eta = function(y, pw) sprintf("LN(%s + 0.1D)", y),
      mu = log_sql$mu,
      mu_eta = log_sql$mu_eta,
      rows = log_sql$rows,
      variance = function(mu) mu,
      deviance = function(y, mu, pw) {
        sprintf("2.0D * %1$s * (%2$s - (%3$s - %4$s))", pw, y_log_y_sql(y, mu), y, mu)
      }
    ),
    # 2 (y log(y / mu) - (y - mu)).
    null = list(
      h = function(y) sprintf("(CASE WHEN %1$s > 0.0D THEN 2.0D * %1$s * LN(%1$s) ELSE 0.0D END)", y),
      a = function(mu) -2 * (log(mu) + 1),
      b = function(mu) 2 * mu
    )
  ),
  Gamma = list(
    family = stats::Gamma(link = "log"),
    response = "numeric",
    check = function(min_y, max_y) {
      if (min_y > 0) NULL else paste0("the Gamma family needs a response above 0, got ", min_y)
    },
    dispersion = "pearson",
    mllib = c(family = "gamma", link = "log"),
    sql = list(
      start_eta = function(y, pw) sprintf("LN(%s)", y),
      mu = log_sql$mu,
      mu_eta = log_sql$mu_eta,
      rows = log_sql$rows,
      variance = function(mu) sprintf("(%s * %s)", mu, mu),
      deviance = function(y, mu, pw) {
        sprintf(
          "-2.0D * %1$s * (LN(CASE WHEN %2$s = 0.0D THEN 1.0D ELSE %2$s / %3$s END) - (%2$s - %3$s) / %3$s)",
          pw, y, mu
        )
      }
    ),
    # -2 (log(y / mu) - (y - mu) / mu), for y > 0 (the check).
    null = list(
      h = function(y) sprintf("(-2.0D * LN(%s))", y),
      a = function(mu) 2 / mu,
      b = function(mu) 2 * (log(mu) - 1)
    )
  )
)

# The entry of a family given as glm() takes it (an object, its function or its name), refused
# with the families and links srs_glm() fits.
glm_family <- function(family) {
  if (is.function(family)) family <- family()
  if (is.character(family) && length(family) == 1L && !is.na(family)) {
    if (!family %in% names(GLM_FAMILIES)) {
      stop(
        "family must be one of ", paste(names(GLM_FAMILIES), collapse = ", "), ", got \"", family,
        "\"",
        call. = FALSE
      )
    }
    return(GLM_FAMILIES[[family]])
  }
  if (!inherits(family, "family") || !family$family %in% names(GLM_FAMILIES)) {
    stop("family must be ", paste(names(GLM_FAMILIES), collapse = ", "), call. = FALSE)
  }
  entry <- GLM_FAMILIES[[family$family]]
  if (!identical(family$link, entry$family$link)) {
    stop(
      "the ", family$family, " family is fitted with the ", entry$family$link, " link, not ",
      family$link,
      call. = FALSE
    )
  }
  entry
}

# The null model's deviance, sum(pw d(y, mu0)), from the sums of pw h(y), pw y and pw over the
# rows (the family's `null` parts).
sum_null_deviance <- function(entry, mu0, swh, swy, sw) {
  swh + entry$null$a(mu0) * swy + entry$null$b(mu0) * sw
}

# The projections from a row's linear predictor to its srs_mu and srs_mu_eta: the family's
# rows(), or one projection of its mu() and mu_eta().
link_rows_sql <- function(entry, eta) {
  if (!is.null(entry$sql$rows)) return(entry$sql$rows(eta))
  list(c(srs_mu = entry$sql$mu(eta), srs_mu_eta = entry$sql$mu_eta(eta)))
}

# The IRLS weight and working response of a row, glm.fit()'s forms unless the family gives its
# own: w = pw mu_eta^2 / V(mu), z = eta + (y - mu) / mu_eta.
irls_weight_sql <- function(entry, mu, mu_eta, pw) {
  if (!is.null(entry$sql$weight)) return(entry$sql$weight(mu, mu_eta, pw))
  sprintf("(%s * %s * %s / %s)", pw, mu_eta, mu_eta, entry$sql$variance(mu))
}

irls_working_sql <- function(entry, eta, y, mu, mu_eta) {
  if (!is.null(entry$sql$working)) return(entry$sql$working(eta, y, mu, mu_eta))
  sprintf("(%s + (%s - %s) / %s)", eta, y, mu, mu_eta)
}

# A row's term of the Pearson statistic: pw (y - mu)^2 / V(mu).
pearson_sql <- function(entry, y, mu, pw) {
  sprintf("(%s * (%s - %s) * (%s - %s) / %s)", pw, y, mu, y, mu, entry$sql$variance(mu))
}
