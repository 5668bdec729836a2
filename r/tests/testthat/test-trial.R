# cart_trial and cart_read_trial: every dataset of the file, with units; arms; patients tables.

small <- "[trial]\nmodel = cart\nn_patients = 30\nseed = 5\n[times]\nhorizon = 56\nstep = 7\n"

test_that("cart_read_trial returns every dataset of a trial file, with units", {
  path <- tempfile(fileext = ".h5")
  tr <- cart_trial(small, output = path, progress = FALSE)
  f <- hdf5r::H5File$new(path, mode = "r")
  listing <- f$ls(recursive = TRUE)
  f$close_all()
  datasets <- paste0("/", listing$name[listing$obj_type == "H5I_DATASET"])
  expect_setequal(names(tr$units), datasets)
  for (d in datasets) expect_false(anyNA(tr$units[[d]]), info = d)
  # each dataset is in the result
  expect_identical(tr$time, seq(0, 56, 7))
  expect_identical(dim(tr$params), c(30L, length(tr$param_units)))
  expect_identical(names(tr$params), names(tr$param_units))
  for (d in grep("^/trajectories/", datasets, value = TRUE)) {
    name <- sub("^/trajectories/", "", d)
    expect_identical(dim(tr$trajectories[[name]]), c(30L, length(tr$time)))
    expect_identical(tr$trajectory_units[[name]], tr$units[[d]])
  }
  for (d in grep("^/endpoints/", datasets, value = TRUE)) {
    name <- sub("^/endpoints/", "", d)
    expect_length(tr$endpoints[[name]], 30L)
    expect_identical(tr$endpoint_units[[name]], tr$units[[d]])
    expect_identical(attr(tr$endpoints[[name]], "unit"), tr$units[[d]])
  }
  expect_identical(names(tr$endpoints), cart_model_info()$endpoints$name)
  expect_identical(tr$status, rep(0L, 30L))
  expect_identical(nrow(tr$toci_times), 30L)
  expect_identical(tr$summary$n_patients, 30L)
  expect_identical(tr$endpoint_summary$endpoint, names(tr$endpoints))
  expect_equal(tr$endpoint_summary$p50[1], stats::median(tr$endpoints$cmax))
  long <- tr$trajectories_long
  expect_identical(nrow(long), 30L * length(tr$time) * length(tr$trajectories))
  expect_identical(names(long), c("patient", "arm", "time", "name", "value", "unit"))
  first <- long[long$patient == 0L & long$name == "Cblood", ]
  expect_identical(first$value, as.numeric(tr$trajectories$Cblood[1, ]))
  expect_true(all(first$unit == "cells/uL"))
  expect_true(tr$complete)
})

test_that("a trial equals cart trial's file", {
  bin <- cart_bin()
  scenario <- tempfile(fileext = ".ini")
  writeLines(small, scenario)
  path <- tempfile(fileext = ".h5")
  system2(bin, c("trial", scenario, "-o", path, "--threads", "1"), stdout = FALSE, stderr = FALSE)
  a <- cart_read_trial(path)
  b <- cart_trial(scenario, threads = 2, output = tempfile(fileext = ".h5"), progress = FALSE)
  expect_identical(a$endpoints, b$endpoints)
  expect_identical(a$params, b$params)
  expect_identical(a$trajectories, b$trajectories)
  expect_identical(a$summary[names(a$summary) != "created"], b$summary[names(b$summary) != "created"])
})

test_that("n, seed, progress, arms and patients tables", {
  calls <- 0
  tr <- cart_trial(small, n = 12, seed = 9, block = 5, output = tempfile(fileext = ".h5"),
                   progress = function(done, total) { calls <<- calls + 1; FALSE })
  expect_identical(calls, 3)
  expect_identical(nrow(tr$params), 12L)
  expect_identical(tr$attrs$seed, 9L)
  expect_warning(stopped <- cart_trial(small, block = 10, output = tempfile(fileext = ".h5"),
                                       progress = function(done, total) TRUE), "incomplete")
  expect_false(stopped$complete)
  # an error in progress stops the run after the block, closes the file and raises CART_ESTOPPED
  path <- tempfile(fileext = ".h5")
  e <- tryCatch(suppressMessages(cart_trial(small, block = 10, output = path,
                                            progress = function(done, total) stop("no"))),
                cart_error = function(e) e)
  expect_identical(e$name, "CART_ESTOPPED")
  expect_match(conditionMessage(e), "progress: .*no")
  expect_warning(failed <- cart_read_trial(path), "incomplete")
  expect_identical(sum(!is.na(failed$status)), 10L)
  arms <- cart_trial(small, output = tempfile(fileext = ".h5"), progress = FALSE,
                     arms = list(low = c(dosing.cart = "0:5e7"), high = c(dosing.cart = "0:2e8", label = "high")))
  expect_identical(names(arms$arms), c("low", "high"))
  expect_identical(arms$arms$high$label, "high")
  expect_identical(arms$arms$low$params$WT, arms$arms$high$params$WT)
  expect_identical(nrow(cart_trajectories_long(arms)), 2L * nrow(arms$arms$low$trajectories_long))
  patients <- data.frame(id = c("a", "b", "c"), WT = c(55, 70.5, 98.25))
  with_table <- cart_trial("[trial]\nmodel = cart\nn_patients = 6\nseed = 1\n[times]\nhorizon = 7\nstep = 7\n",
                           patients = patients, output = tempfile(fileext = ".h5"), progress = FALSE)
  expect_identical(with_table$params$WT[1:3], patients$WT)
  expect_identical(as.numeric(with_table$patients_row[1:3]), c(0, 1, 2))
  e <- tryCatch(cart_trial(small, patients = data.frame(WTT = 70), output = tempfile(), progress = FALSE),
                cart_error = function(e) e)
  expect_s3_class(e, "cart_error")
  expect_match(conditionMessage(e), "WTT")
})

test_that("figures are ggplot objects", {
  skip_if_not_installed("ggplot2")
  tr <- cart_trial(small, output = tempfile(fileext = ".h5"), progress = FALSE)
  expect_s3_class(plot_bands(tr), "ggplot")
  expect_s3_class(plot_endpoints(tr), "ggplot")
  expect_s3_class(plot_response_table(tr), "ggplot")
  expect_s3_class(plot_course(cart_solve(times = 0:28)), "ggplot")
  tab <- cart_response_table(tr)
  expect_identical(sum(tab$n), 30L)
  png(tempfile(fileext = ".png"))
  on.exit(dev.off())
  print(plot_bands(tr))
})

test_that("cart_read_trial names the repair of a file killed inside a block's flush", {
  # tests/kill_in_flush.c (CART_SRCDIR, set by tests/r.sh) ends `cart trial` just before its
  # 6th superblock write: the chunk index of the 5th block is on disk, the superblock's end of
  # allocation is not (cart(1), TRIAL FILES)
  bin <- cart_bin()
  shim_source <- file.path(Sys.getenv("CART_SRCDIR"), "tests", "kill_in_flush.c")
  if (!file.exists(shim_source)) skip("CART_SRCDIR is not set to the source tree (tests/r.sh sets it)")
  shim <- tempfile(fileext = ".so")
  cc <- Sys.getenv("CC", "cc")
  if (system2(cc, c("-shared", "-fPIC", "-o", shim, shim_source, "-ldl")) != 0L) skip("no C compiler for tests/kill_in_flush.c")
  path <- tempfile(fileext = ".h5")
  status <- system2(bin, c("trial", "-n", "400", "--seed", "11", "--block", "20", "--threads", "1", "-o", path),
                    stdout = FALSE, stderr = FALSE,
                    env = c(paste0("LD_PRELOAD=", shim), "KILL_AT_SUPERBLOCK=6"))
  expect_identical(status, 137L)
  e <- tryCatch(cart_read_trial(path), cart_error = function(e) e)
  expect_s3_class(e, "cart_error")
  expect_identical(e$name, "CART_EIO")
  expect_match(conditionMessage(e), paste0("h5clear --increment=0 ", path), fixed = TRUE)
  if (Sys.which("h5clear") == "" || system2("h5clear", c("--increment=0", path)) != 0L) skip("no h5clear (Debian: hdf5-tools)")
  expect_warning(repaired <- cart_read_trial(path), "incomplete")
  expect_identical(sum(repaired$status == 0L, na.rm = TRUE), 80L)
  expect_true(all(is.na(repaired$status[81:400])))
})
