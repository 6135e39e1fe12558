test_that("dbGetQuery returns R's types: integers, doubles, text, logicals, dates and times, with NA", {
  got <- dbGetQuery(con, paste(
    "SELECT CAST(1 AS INT) AS i, 2.5D AS d, 'x' AS s, true AS b, DATE'2024-02-29' AS day,",
    "TIMESTAMP'2024-02-29 12:30:45.5' AS t, CAST(NULL AS INT) AS ni, CAST(NULL AS STRING) AS ns,",
    "CAST(3 AS BIGINT) AS big, CAST(1.25 AS DECIMAL(10, 2)) AS dec, array(1, 2) AS arr"
  ))
  expect_identical(got$i, 1L)
  expect_identical(got$d, 2.5)
  expect_identical(got$s, "x")
  expect_identical(got$b, TRUE)
  expect_identical(got$day, as.Date("2024-02-29"))
  expect_identical(got$t, as.POSIXct("2024-02-29 12:30:45.5", tz = "UTC"))
  expect_identical(got$ni, NA_integer_)
  expect_identical(got$ns, NA_character_)
  # 64-bit integers and decimals arrive as doubles (exact up to 2^53); arrays as JSON text.
  expect_identical(got$big, 3)
  expect_identical(got$dec, 1.25)
  expect_identical(got$arr, "[1,2]")
})

test_that("dbSendQuery and dbFetch hand rows over n at a time, then say they are done", {
  res <- dbSendQuery(con, "SELECT id FROM range(0, 2500, 1, 3) ORDER BY id")
  expect_identical(dbGetStatement(res), "SELECT id FROM range(0, 2500, 1, 3) ORDER BY id")
  expect_identical(dbColumnInfo(res)$name, "id")
  first <- dbFetch(res, n = 1000)
  expect_identical(first$id, as.numeric(0:999))
  expect_false(dbHasCompleted(res))
  rest <- dbFetch(res, n = -1)
  expect_identical(rest$id, as.numeric(1000:2499))
  expect_true(dbHasCompleted(res))
  expect_identical(dbGetRowCount(res), 2500)
  expect_identical(nrow(dbFetch(res)), 0L)
  dbClearResult(res)
  expect_false(dbIsValid(res))
  expect_error(dbFetch(res), "cleared")
})

test_that("dbSendQuery starts the query: Spark runs it while R goes on, and dbFetch returns its rows", {
  frame <- data.frame(g = rep(c("a", "b", "c"), 400), v = seq_len(1200) / 7, stringsAsFactors = FALSE)
  name <- unique_name("started")
  dbWriteTable(con, name, frame)
  before <- jobs_run()
  res <- dbSendQuery(con, sprintf("SELECT g, COUNT(*) AS n, SUM(v) AS total FROM %s GROUP BY g", name))
  on.exit(dbClearResult(res), add = TRUE)
  # No fetch yet: the aggregate's map side runs on its own, and then its final stage (a result
  # this small is one partition).
  waited <- 0
  while (jobs_run() < before + 2L && waited < 60) {
    Sys.sleep(0.1)
    waited <- waited + 0.1
  }
  expect_gte(jobs_run(), before + 2L)
  # R goes on meanwhile, here with a model fit of its own.
  fit <- srs_glm(v ~ g, name)
  after_fit <- jobs_run()
  got <- dbFetch(res)
  # The rows were read already: the fetch ran no job.
  expect_identical(jobs_run(), after_fit)
  expect_true(dbHasCompleted(res))
  expect_equal(sorted(got, "g"), data.frame(g = c("a", "b", "c"), n = c(400, 400, 400), total = as.numeric(tapply(frame$v, frame$g, sum))), tolerance = 1e-12)
  expect_equal(unname(coef(fit)), unname(coef(stats::lm(v ~ g, frame))), tolerance = 1e-10)
})

test_that("dbSendQuery reads no rows ahead of dbFetch when the result is in several partitions", {
  before <- jobs_run()
  res <- dbSendQuery(con, "SELECT id FROM range(0, 3000, 1, 3)")
  on.exit(dbClearResult(res), add = TRUE)
  Sys.sleep(1)
  expect_identical(jobs_run(), before)
  # One partition's job per fetch that needs one, in order.
  expect_identical(dbFetch(res, n = 10)$id, as.numeric(0:9))
  expect_identical(jobs_run(), before + 1L)
  expect_identical(dbFetch(res, n = -1)$id, as.numeric(10:2999))
  expect_true(dbHasCompleted(res))
})

test_that("dbWriteTable, dbReadTable, dbListTables, dbExistsTable, dbListFields and dbRemoveTable work on temporary views", {
  name <- unique_name("t_dbi")
  frame <- all_types()
  expect_false(dbExistsTable(con, name))
  dbWriteTable(con, name, frame)
  expect_true(dbExistsTable(con, name))
  expect_true(name %in% dbListTables(con))
  expect_identical(dbListFields(con, name), names(frame))
  expect_identical(sorted(dbReadTable(con, name), "key"), frame)

  expect_error(dbWriteTable(con, name, frame), "exists; use overwrite = TRUE")
  dbWriteTable(con, name, frame[1:2, ], overwrite = TRUE)
  expect_identical(nrow(dbReadTable(con, name)), 2L)
  dbWriteTable(con, name, frame[3:6, ], append = TRUE)
  expect_identical(sorted(dbReadTable(con, name), "key"), frame)
  expect_error(
    dbWriteTable(con, name, data.frame(other = 1), append = TRUE),
    "append needs columns of .*, got other"
  )
  expect_error(dbWriteTable(con, name, frame, overwrite = TRUE, append = TRUE), "cannot both be TRUE")
  expect_error(dbWriteTable(con, name, frame, temporary = FALSE, overwrite = TRUE), "temporary views only")

  dbRemoveTable(con, name)
  expect_false(dbExistsTable(con, name))
  expect_error(dbRemoveTable(con, name), "no table named")
  expect_silent(dbRemoveTable(con, name, fail_if_missing = FALSE))
})

test_that("field.types casts columns, and bad names and types are refused before anything runs", {
  name <- unique_name("t_types")
  dbWriteTable(con, name, data.frame(id = c(1, 2), v = c("1", "2")), field.types = c(id = "BIGINT", v = "INT"))
  expect_identical(dbGetQuery(con, sprintf("SELECT typeof(id) AS a, typeof(v) AS b FROM %s LIMIT 1", name)), data.frame(a = "bigint", b = "int"))
  expect_error(dbWriteTable(con, name, data.frame(id = 1), overwrite = TRUE, field.types = c(id = "INT; DROP")), "not a Spark SQL type")
  expect_error(dbWriteTable(con, "", data.frame(id = 1)), "a table name must be one non-empty string")
  expect_error(dbWriteTable(con, DBI::Id(schema = "s", table = "t"), data.frame(id = 1)), "no schema")
  expect_error(
    dbWriteTable(con, name, data.frame(l = I(list(1, 2))), overwrite = TRUE),
    "column l is of class list, which Spark cannot take"
  )
  # Any name Spark takes, quoted: spaces, quotes, backticks, keywords.
  odd <- paste(unique_name("select"), "it's a `view`")
  dbWriteTable(con, odd, data.frame(id = 1:2))
  expect_true(dbExistsTable(con, odd))
  expect_identical(dbReadTable(con, odd)$id, 1:2)
  dbRemoveTable(con, odd)
})

test_that("identifiers and strings are quoted so that any text round-trips", {
  tricky <- c("it's", "back\\slash", "quote \" and `tick`", "é", "new\nline")
  literals <- paste(dbQuoteString(con, tricky), "AS", dbQuoteIdentifier(con, paste0("col `", seq_along(tricky))), collapse = ", ")
  got <- dbGetQuery(con, paste("SELECT", literals))
  expect_identical(unname(unlist(got[1, ])), tricky)
  expect_identical(names(got), paste0("col `", seq_along(tricky)))
  expect_identical(as.character(dbQuoteString(con, NA_character_)), "NULL")
  expect_identical(as.character(dbQuoteIdentifier(con, "a`b")), "`a``b`")
})

test_that("dbExecute runs statements and Spark's errors come back as one R error", {
  name <- unique_name("t_exec")
  # Spark does not count the rows a statement touched: NA, as DBI allows.
  expect_identical(dbExecute(con, sprintf("CREATE TEMPORARY VIEW %s AS SELECT 1 AS one", name)), NA_integer_)
  expect_identical(dbGetQuery(con, paste("SELECT * FROM", name))$one, 1L)
  expect_error(dbGetQuery(con, "SELECT no_such_column FROM range(1)"), "UNRESOLVED_COLUMN")
  expect_error(dbExecute(con, "NOT SQL AT ALL"), "PARSE_SYNTAX_ERROR")
  expect_error(dbBegin(con), "no transactions")
})

test_that("parameters bind through Spark's parameterized SQL, never pasted into the text", {
  got <- dbGetQuery(con, "SELECT ? AS a, ? AS b", params = list(2.5, "it's; DROP VIEW x"))
  expect_identical(got, data.frame(a = 2.5, b = "it's; DROP VIEW x"))
  # One run per row of parameters, their results one after another.
  got <- dbGetQuery(con, "SELECT ? * 2 AS twice", params = list(1:3))
  expect_identical(got$twice, c(2L, 4L, 6L))
  expect_error(dbGetQuery(con, "SELECT ? AS a", params = list(1, 2)), "1 parameter marker\\(s\\) \\(\\?\\), got 2")
  res <- dbSendQuery(con, "SELECT ? AS a")
  expect_error(dbFetch(res), "not bound yet")
  dbBind(res, list(as.Date("2024-02-29")))
  expect_identical(dbFetch(res)$a, as.Date("2024-02-29"))
  dbClearResult(res)
})

test_that("dbConnect(spark()) gives the shared session; 64-bit integers and blobs keep their values", {
  big <- dbConnect(spark(), bigint = "integer64")
  on.exit(dbDisconnect(big))
  got <- dbGetQuery(big, "SELECT 9007199254740993L AS n, X'00FF41' AS b")
  expect_identical(as.character(got$n), "9007199254740993")
  expect_identical(unclass(got$b)[[1]], as.raw(c(0x00, 0xff, 0x41)))
  expect_warning(dbGetQuery(con, "SELECT 9007199254740993L AS n"), "past 2\\^53")
  name <- unique_name("t_blob")
  dbWriteTable(big, name, data.frame(b = blob::blob(as.raw(1:3), raw(0))))
  expect_identical(lengths(unclass(dbReadTable(big, name)$b)), c(3L, 0L))
})
