# Event tables (NONMEM/rxode2 layout): the same doses as the command line gives, as the Python
# package's tests/python/test_events.py checks them.

events <- data.frame(
  ID = c(1, 1, 1, 1),
  TIME = c(0, 14, 3, 5),
  AMT = c(2e8, 1e8, 8, 8),
  CMT = c("cart", "1", "tocilizumab", "8"),
  EVID = c(1, 1, 1, 1),
  DUR = c(NA, NA, NA, 2 / 24),
  II = c(0, 0, 0.5, 0),
  ADDL = c(0, 0, 2, 0),
  CAP_MG = c(NA, NA, NA, 600),
  WT = 70,  # a covariate column: ignored
  stringsAsFactors = FALSE)
cli <- c("--dose", "0:2e8", "--dose", "14:1e8", "--toci", "3:8", "--toci", "3.5:8", "--toci", "4:8",
         "--toci", "5:8:2:600")

test_that("a data-frame event table equals the same doses on the command line", {
  sol <- cart_solve(events = events, times = 0:30)
  expect_same_as_cart_run(sol, c("--times", "0:30:1", cli))
  by_arguments <- cart_solve(doses = c("0:2e8", "14:1e8"), toci = c("3:8", "3.5:8", "4:8", "5:8:2:600"),
                             times = 0:30)
  expect_identical(as.list(sol), as.list(by_arguments))
  expect_false(identical(cart_solve(times = 0:30)$D1, sol$D1))
})

test_that("a CSV event table and observation rows", {
  path <- tempfile(fileext = ".csv")
  # every number with %.17g: the doubles of the frame exactly (write.csv keeps 15 digits)
  exact <- as.data.frame(lapply(events, function(x) if (is.numeric(x)) ifelse(is.na(x), "", sprintf("%.17g", x)) else x))
  utils::write.csv(exact, path, row.names = FALSE, quote = FALSE)
  expect_identical(as.list(cart_solve(events = path, times = 0:30)), as.list(cart_solve(events = events, times = 0:30)))
  obs <- rbind(events[1, c("TIME", "AMT", "CMT", "EVID")],
               data.frame(TIME = c(1, 2, 7), AMT = 0, CMT = "cart", EVID = 0))
  expect_identical(as.vector(cart_solve(events = obs)$time), c(1, 2, 7))
})

test_that("a bad row is named with its column", {
  bad <- events
  bad$CMT[2] <- "3"
  e <- tryCatch(cart_solve(events = bad), cart_error = function(e) e)
  expect_match(conditionMessage(e), "events row 2, column cmt: compartment 3 \\(X\\)")
  bad <- events
  bad$AMT[3] <- -8
  expect_match(conditionMessage(tryCatch(cart_solve(events = bad), cart_error = function(e) e)),
               "events row 3, column amt")
  bad <- events
  bad$EVID[1] <- 4
  expect_match(conditionMessage(tryCatch(cart_solve(events = bad), cart_error = function(e) e)),
               "events row 1, column evid")
})

test_that("a trial's event table equals the scenario's [dosing] lines", {
  scenario <- "[trial]\nmodel = cart\nn_patients = 20\nseed = 3\n[times]\nhorizon = 28\nstep = 7\n"
  a <- cart_trial(scenario, events = events[2, ], output = tempfile(fileext = ".h5"), progress = FALSE)
  b <- cart_trial(paste0(scenario, "[dosing]\ncart = 14:1e8\n"), output = tempfile(fileext = ".h5"),
                  progress = FALSE)
  expect_identical(a$endpoints, b$endpoints)
  expect_identical(a$trajectories, b$trajectories)
})

test_that("a trial's event table reaches every arm, and its observation rows are refused by row", {
  # libcart's cart_scenario_add_event_table: an arm with its own dosing.cart gets more of them
  scenario <- "[trial]\nmodel = cart\nn_patients = 3\n[times]\nlist = 7,28\n[dosing]\ncart = 0:1e8\n"
  arms <- list(own = c(dosing.cart = "0:3e8"), base = c(label = "the base doses"))
  a <- cart_trial(scenario, arms = arms, events = events[2, ], output = tempfile(fileext = ".h5"),
                  progress = FALSE)
  expect_identical(sort(names(a$arms)), c("base", "own"))
  expect_match(a$attrs$scenario, "[arm own]\ndosing.cart = 14:100000000", fixed = TRUE)
  obs <- events
  obs$EVID[3] <- 0
  e <- tryCatch(cart_trial(scenario, events = obs, output = tempfile(fileext = ".h5"), progress = FALSE),
                cart_error = function(e) e)
  expect_identical(e$name, "CART_EPARSE")
  expect_match(conditionMessage(e), "^events row 3: observation rows \\(evid 0\\)")
})

test_that("one CSV gives the same doses through cart run --event-table, R and Python's reader", {
  # the three read the table with libcart's cart_parse_event_table; Python's side is
  # tests/python/test_events.py::test_csv_through_c_python_and_the_command_line
  path <- tempfile(fileext = ".csv")
  exact <- as.data.frame(lapply(events, function(x) if (is.numeric(x)) ifelse(is.na(x), "", sprintf("%.17g", x)) else x))
  utils::write.csv(exact, path, row.names = FALSE, quote = FALSE)
  sol <- cart_solve(events = path, times = 0:30)
  expect_same_as_cart_run(sol, c("--times", "0:30:1", "--event-table", path))
  expect_same_as_cart_run(sol, c("--times", "0:30:1", cli))
  # a bad table: libcart's message, naming the file's line and the column
  exact$AMT[3] <- "x"
  utils::write.csv(exact, path, row.names = FALSE, quote = FALSE)
  e <- tryCatch(cart_solve(events = path, times = 0:1), cart_error = function(e) e)
  expect_identical(e$name, "CART_EPARSE")
  expect_identical(conditionMessage(e), sprintf("%s line 4, column amt: 'x' is not a number", path))
})
