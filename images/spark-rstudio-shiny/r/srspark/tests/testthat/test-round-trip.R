# Data frames into Spark and back: identical, types and values, rows put back in order by a key.
round_trip <- function(frame, key) {
  name <- unique_name("t_round")
  remote <- dplyr::copy_to(con, frame, name)
  back <- dplyr::collect(remote)
  sorted(back, key)
}

test_that("every column type, with a missing value in each, comes back identical", {
  frame <- all_types()
  expect_identical(round_trip(frame, "key"), frame)
})

test_that("mtcars (row names kept as a column) comes back identical", {
  frame <- datasets::mtcars
  name <- unique_name("t_mtcars")
  dbWriteTable(con, name, frame, row.names = TRUE)
  back <- sorted(dbReadTable(con, name), "row_names")
  expected <- sorted(DBI::sqlRownamesToColumn(frame, TRUE), "row_names")
  expect_identical(back, expected)
})

test_that("airquality (missing values, and dates made from it) comes back identical", {
  frame <- airquality_dated()
  expect_identical(round_trip(frame, "key"), frame)
})

test_that("iris and warpbreaks come back with their factors: levels in order, unused ones too", {
  for (frame in list(transform(datasets::iris, key = seq_len(nrow(datasets::iris))), transform(datasets::warpbreaks, key = seq_len(nrow(datasets::warpbreaks))))) {
    expect_identical(round_trip(frame, "key"), frame)
  }
  breaks <- transform(datasets::warpbreaks,
    key = seq_len(nrow(datasets::warpbreaks)),
    tension = factor(tension, levels = c("H", "none", "M", "L"))
  )
  expect_identical(round_trip(breaks, "key"), breaks)
})

test_that("an ordered factor comes back ordered; a query that selects a factor keeps its levels", {
  sizes <- c("small", "medium", "large")
  frame <- data.frame(
    key = 1:5,
    size = factor(c("small", "large", NA, "medium", "small"), levels = sizes, ordered = TRUE)
  )
  expect_identical(round_trip(frame, "key"), frame)
  breaks <- dplyr::copy_to(con, datasets::warpbreaks, unique_name("t_breaks_levels"))
  heavy <- breaks |>
    dplyr::filter(breaks > 30) |>
    dplyr::group_by(tension) |>
    dplyr::summarise(n = dplyr::n()) |>
    dplyr::collect()
  expect_identical(levels(heavy$tension), c("L", "M", "H"))
  local <- datasets::warpbreaks
  expected <- as.data.frame(table(tension = local$tension[local$breaks > 30]))
  expected <- expected[expected$Freq > 0, ]
  expect_identical(
    sorted(data.frame(tension = heavy$tension, n = as.integer(heavy$n)), "tension"),
    sorted(data.frame(tension = expected$tension, n = expected$Freq), "tension")
  )
})

test_that("an empty frame and a frame of many rows come back identical", {
  empty <- all_types()[0, ]
  expect_identical(round_trip(empty, "key"), empty)
  many <- data.frame(key = seq_len(200000), value = sin(seq_len(200000)), label = sprintf("row %d", seq_len(200000)), stringsAsFactors = FALSE)
  expect_identical(round_trip(many, "key"), many)
})
