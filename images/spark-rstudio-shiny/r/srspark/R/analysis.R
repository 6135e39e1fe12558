# The analysis functions apps call: the same on both backends. Every value that goes into SQL is
# validated here first; nothing a user types is pasted into a query unchecked.

GROUPINGS <- c(segment = "segment", x_decile = "CAST(FLOOR(x * 10) AS INT)")
COLUMNS <- c("x", "segment", "grp", "y")

check_name <- function(name) {
  if (!is.character(name) || length(name) != 1L || !grepl("^[A-Za-z_][A-Za-z0-9_]{0,63}$", name)) {
    stop("a view name must be a letter or _ followed by letters, digits or _, got ", deparse(name), call. = FALSE)
  }
  name
}

check_min_x <- function(min_x) {
  if (!is.numeric(min_x) || length(min_x) != 1L || is.na(min_x) || min_x < 0 || min_x >= 1) {
    stop("the filter x >= min_x needs min_x in [0, 1), got ", deparse(min_x), call. = FALSE)
  }
  sprintf("%.17g", min_x)
}

#' A synthetic dataset generated inside Spark, deterministic by seed, as a temporary view:
#' columns id, x in [0, 1), segment (A, B, …), grp (0-based segment number) and
#' y = 1.5 + 2 x + 0.25 grp + noise, noise in [-0.5, 0.5). Pure integer arithmetic on the row id,
#' so srs_reference_synthetic() reproduces it exactly in plain R. Returns the view's name.
srs_synthetic <- function(rows, seed = 42L, groups = 8L, name = "synthetic", partitions = NULL) {
  if (!is.numeric(rows) || length(rows) != 1L || is.na(rows) || rows < 1 || rows > 1e9 || rows != round(rows)) {
    stop("rows must be a whole number from 1 to 1e9, got ", deparse(rows), call. = FALSE)
  }
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || seed < 0 || seed > 1e6 || seed != round(seed)) {
    stop("seed must be a whole number from 0 to 1e6, got ", deparse(seed), call. = FALSE)
  }
  if (!is.numeric(groups) || length(groups) != 1L || groups < 1 || groups > 26 || groups != round(groups)) {
    stop("groups must be a whole number from 1 to 26, got ", deparse(groups), call. = FALSE)
  }
  if (is.null(partitions)) partitions <- max(2L, min(64L, as.integer(ceiling(rows / 2e6))))
  query <- sprintf(
    paste(
      "SELECT id, x, char(65 + grp) AS segment, grp, 1.5D + 2.0D * x + 0.25D * grp + noise AS y FROM (",
      "SELECT id,",
      # BIGINT literals (L): seed * 32452843 overflows INT for seeds above 66, and ANSI mode fails then.
      "CAST((id * 7919L + %1$.0fL * 104729L) %% 10007L AS DOUBLE) / 10007.0D AS x,",
      "CAST((id * 31L + %1$.0fL * 17L) %% %2$dL AS INT) AS grp,",
      "CAST((id * 15485863L + %1$.0fL * 32452843L) %% 1000L AS DOUBLE) / 1000.0D - 0.5D AS noise",
      "FROM range(0, %3$.0f, 1, %4$d))"
    ),
    seed, as.integer(groups), rows, as.integer(partitions)
  )
  backend <- current_backend()
  backend$view(.state$session, query, check_name(name))
}

#' The same dataset as srs_synthetic(), computed in plain R (for checks on small sizes).
srs_reference_synthetic <- function(rows, seed = 42L, groups = 8L) {
  id <- as.numeric(seq_len(rows) - 1)
  x <- ((id * 7919 + seed * 104729) %% 10007) / 10007
  grp <- as.integer((id * 31 + seed * 17) %% groups)
  noise <- ((id * 15485863 + seed * 32452843) %% 1000) / 1000 - 0.5
  data.frame(id = id, x = x, segment = LETTERS[grp + 1L], grp = grp, y = 1.5 + 2 * x + 0.25 * grp + noise, stringsAsFactors = FALSE)
}

#' Per-group count and means of x and y where x >= min_x, computed by Spark, as a data.frame
#' ordered by group.
srs_aggregate <- function(view = "synthetic", by = c("segment", "x_decile"), min_x = 0) {
  by <- match.arg(by)
  srs_sql(sprintf(
    "SELECT %s AS %s, COUNT(*) AS n, AVG(x) AS mean_x, AVG(y) AS mean_y FROM %s WHERE x >= %s GROUP BY 1 ORDER BY 1",
    GROUPINGS[[by]], by, check_name(view), check_min_x(min_x)
  ))
}

#' Checks a model formula: response y, terms from x, segment and grp joined by +, : or -.
#' Returns it as one normalized line; stops with a message saying what is wrong.
srs_validate_formula <- function(text) {
  if (!is.character(text) || length(text) != 1L || !nzchar(trimws(text))) stop("bad formula: it is empty", call. = FALSE)
  parsed <- tryCatch(str2lang(text), error = function(e) NULL)
  if (is.null(parsed) || !is.call(parsed) || !identical(parsed[[1]], as.name("~")) || length(parsed) != 3L) {
    stop("bad formula: write it as y ~ x + segment", call. = FALSE)
  }
  if (!identical(parsed[[2]], as.name("y"))) stop("bad formula: the response must be y", call. = FALSE)
  names_used <- all.names(parsed[[3]])
  unknown <- setdiff(names_used, c("+", ":", "-", "(", COLUMNS))
  if (length(unknown) > 0L) stop("bad formula: unknown term(s) ", paste(unknown, collapse = ", "), "; use x, segment, grp", call. = FALSE)
  if (length(intersect(names_used, COLUMNS)) == 0L) stop("bad formula: no term on the right of ~", call. = FALSE)
  paste(deparse(parsed, width.cutoff = 500L), collapse = " ")
}

#' Fits a GLM with Spark MLlib on the rows where x >= min_x; returns the coefficients as a
#' data.frame (term, estimate), terms named as R names them ("(Intercept)", "x", "segment_B" …).
srs_glm <- function(view = "synthetic", formula = "y ~ x + segment", min_x = 0, family = c("gaussian", "poisson")) {
  family <- match.arg(family)
  formula <- srs_validate_formula(formula)
  query <- sprintf("SELECT * FROM %s WHERE x >= %s", check_name(view), check_min_x(min_x))
  current_backend()$glm(.state$session, query, formula, family)
}
