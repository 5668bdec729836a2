# cart_calibrate: the fit of `cart calibrate` (the same calibrated scenario, byte for byte), and
# bad targets as a cart_error naming the line.

stein <- "[trial]\nmodel = stein\nn_patients = 100\nseed = 5\n[times]\nhorizon = 60\nstep = 7\n[parameters]\nrho = 0.889\n[variability]\nrho = 0.4\n[outputs]\ntrajectories = C\n"
targets <- "[trial]\nname = test trial\n[targets]\nmedian(cmax) = 30000 [20000, 40000]\n[free]\nrho = 0.1, 3\n[calibrate]\nmax_evaluations = 12\n"

test_that("cart_calibrate writes the scenario cart calibrate writes", {
  bin <- cart_bin()
  dir <- tempfile()
  dir.create(dir)
  writeLines(stein, file.path(dir, "stein.ini"), sep = "")
  writeLines(targets, file.path(dir, "targets.ini"), sep = "")
  system2(bin, c("calibrate", file.path(dir, "stein.ini"), file.path(dir, "targets.ini"), "-o",
                 file.path(dir, "cli.ini")), stdout = FALSE, stderr = FALSE)
  cli <- readChar(file.path(dir, "cli.ini"), file.size(file.path(dir, "cli.ini")), useBytes = TRUE)
  calls <- 0
  fit <- cart_calibrate(file.path(dir, "stein.ini"), file.path(dir, "targets.ini"),
                        progress = function(done, total, best) { calls <<- calls + 1; FALSE })
  expect_identical(fit$scenario, cli)
  expect_identical(calls, fit$evaluations)
  expect_identical(rownames(fit$params), "rho")
  expect_identical(rownames(fit$targets), "median(cmax)")
  expect_true(fit$complete)
  # the text itself gives the same fit (the sources differ only in the comments' file names)
  expect_identical(cart_calibrate(stein, targets, progress = FALSE)$fitted, fit$fitted)
})

test_that("bad targets raise a cart_error naming the line", {
  bad <- sub("median\\(cmax\\)", "median(cmx)", targets)
  e <- tryCatch(cart_calibrate(stein, bad, progress = FALSE), cart_error = function(e) e)
  expect_s3_class(e, "cart_error")
  expect_match(conditionMessage(e), "<targets>:4: .*cmx")
})
