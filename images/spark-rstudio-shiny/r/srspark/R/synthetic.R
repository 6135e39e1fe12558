# The demo's synthetic dataset: generated inside Spark, deterministic by seed, and reproducible
# exactly in plain R (srs_reference_synthetic) for checks.

check_whole <- function(value, what, from, to) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value < from || value > to || value != round(value)) {
    stop(what, " must be a whole number from ", format(from, scientific = FALSE), " to ", format(to, scientific = FALSE), ", got ", paste(deparse(value), collapse = ""), call. = FALSE)
  }
  value
}

#' A synthetic dataset made by the workers
#'
#' Columns `id`, `x` in \[0, 1), `segment` (A, B, ...), `grp` (the segment's 0-based number)
#' and `y = 1.5 + 2 x + 0.25 grp + noise`, noise in \[-0.5, 0.5). Pure integer arithmetic on the
#' row id, so [srs_reference_synthetic()] makes the same rows in plain R. Its partitions are a
#' multiple of the cluster's cores.
#'
#' @param con A connection from [srs_connect()].
#' @param rows How many rows, up to 10^9.
#' @param seed A whole number from 0 to 10^6.
#' @param groups How many segments, 1 to 26.
#' @param name The temporary view's name.
#' @return The view as a lazy table (dplyr).
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' srs_synthetic(con, 1e6, seed = 7) |>
#'   dplyr::group_by(segment) |>
#'   dplyr::summarise(mean_y = mean(y, na.rm = TRUE))
srs_synthetic <- function(con, rows, seed = 42L, groups = 8L, name = "synthetic") {
  check_connection(con)
  check_whole(rows, "rows", 1, 1e9)
  check_whole(seed, "seed", 0, 1e6)
  check_whole(groups, "groups", 1, 26)
  name <- table_name(name)
  partitions <- cluster_partitions(max(1L, as.integer(ceiling(rows / 2e6))))
  # The seed is a column (with_constants()), not a literal: each new seed would otherwise be new
  # code for Spark to compile, 0.3 s of a 0.5 s query at 10^6 rows.
  query <- sprintf(
    paste(
      "SELECT id, x, char(65 + grp) AS segment, grp, 1.5D + 2.0D * x + 0.25D * grp + noise AS y FROM (",
      "SELECT id,",
      # BIGINT (L): seed * 32452843 overflows INT for seeds above 66, and ANSI mode fails then.
      "CAST((id * 7919L + s * 104729L) %% 10007L AS DOUBLE) / 10007.0D AS x,",
      "CAST((id * 31L + s * 17L) %% %1$dL AS INT) AS grp,",
      "CAST((id * 15485863L + s * 32452843L) %% 1000L AS DOUBLE) / 1000.0D - 0.5D AS noise",
      "FROM (%2$s) srs_seeded)"
    ),
    as.integer(groups), with_constants(sprintf("SELECT id FROM range(0, %.0f, 1, %d)", rows, partitions), c(s = sprintf("%.0fL", seed)))
  )
  dbExecute(con, sprintf("CREATE OR REPLACE TEMPORARY VIEW %s AS %s", quote_identifier(name), query))
  # The columns are known: dbplyr need not ask Spark for them.
  dplyr::tbl(con, name, vars = c("id", "x", "segment", "grp", "y"))
}

#' The rows of srs_synthetic(), made in plain R
#'
#' For checks on small sizes: the same columns and values as [srs_synthetic()] gives.
#'
#' @inheritParams srs_synthetic
#' @return A data frame.
#' @export
#' @examples
#' head(srs_reference_synthetic(10, seed = 7))
srs_reference_synthetic <- function(rows, seed = 42L, groups = 8L) {
  id <- as.numeric(seq_len(rows) - 1)
  x <- ((id * 7919 + seed * 104729) %% 10007) / 10007
  grp <- as.integer((id * 31 + seed * 17) %% groups)
  noise <- ((id * 15485863 + seed * 32452843) %% 1000) / 1000 - 0.5
  data.frame(id = id, x = x, segment = LETTERS[grp + 1L], grp = grp, y = 1.5 + 2 * x + 0.25 * grp + noise, stringsAsFactors = FALSE)
}
