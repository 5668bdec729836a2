# cart_sensitivity: the indices of `cart sensitivity` (to its printed digits), the same for 1 and
# 2 threads, an R function's analysis, and bad input as a cart_error naming the problem.

scenario <- "[trial]\nmodel = stein\nn_patients = 20\nseed = 5\n[times]\nhorizon = 60\nstep = 7\n[parameters]\nrho = 0.889\n[variability]\nrho = 0.4\nalpha = 0.3\n"

# The rows of `cart sensitivity`'s table of indices (the lines after its header).
cli_index_lines <- function(args) {
  out <- system2(cart_bin(), c("sensitivity", shQuote(args)), stdout = TRUE)
  first <- grep("^  parameter ", out) + 1L
  out[first:(first + 2L)]
}

test_that("cart_sensitivity equals cart sensitivity and does not depend on threads", {
  bin <- cart_bin()
  dir <- tempfile()
  dir.create(dir)
  path <- file.path(dir, "stein.ini")
  writeLines(scenario, path, sep = "")
  params <- list(rho = c(0.5, 1.2), c0 = list(2, 20, "log"), tmax = "6:12")
  s1 <- cart_sensitivity(path, params, statistic = "median(cmax)", N = 16, bootstrap = 200,
                         threads = 1, output = file.path(dir, "r.h5"), progress = FALSE)
  s2 <- cart_sensitivity(path, params, statistic = "median(cmax)", N = 16, bootstrap = 200,
                         threads = 2, progress = FALSE)
  expect_s3_class(s1, "cart_sensitivity")
  expect_identical(s1$indices, s2$indices)
  expect_identical(s1$design, s2$design)
  expect_true(file.exists(file.path(dir, "r.h5")))
  expect_identical(nrow(s1$design), 16L * 5L)
  expect_identical(names(s1$design), c("row", "block", "rho", "c0", "tmax", "output"))
  cli <- cli_index_lines(c(path, "--param", "rho=0.5:1.2", "--param", "c0=2:20:log", "--param", "tmax=6:12",
                           "--statistic", "median(cmax)", "-N", "16", "--bootstrap", "200", "--quiet",
                           "-o", file.path(dir, "cli.h5")))
  i <- s1$indices
  ours <- sprintf("  %-12s %9.4f %21s %9.4f %21s", i$name, i$first,
                  sprintf("[%.4f, %.4f]", i$first_lower, i$first_upper), i$total,
                  sprintf("[%.4f, %.4f]", i$total_lower, i$total_upper))
  expect_identical(ours, cli)
  # Morris
  m <- cart_sensitivity(path, params, statistic = "median(cmax)", method = "morris", N = 6,
                        bootstrap = 100, progress = FALSE)
  cli <- cli_index_lines(c(path, "--param", "rho=0.5:1.2", "--param", "c0=2:20:log", "--param", "tmax=6:12",
                           "--statistic", "median(cmax)", "--method", "morris", "-N", "6",
                           "--bootstrap", "100", "--quiet", "-o", file.path(dir, "cli-m.h5")))
  i <- m$indices
  ours <- sprintf("  %-12s %11.4g %11.4g %25s %11.4g", i$name, i$mu, i$mu_star,
                  sprintf("[%.4g, %.4g]", i$mu_star_lower, i$mu_star_upper), i$sigma)
  expect_identical(ours, cli)
})

test_that("an R function's indices: Ishigami-like additive function", {
  s <- cart_sensitivity(params = list(a = c(0, 1), b = c(0, 1)),
                        fun = function(x) x[["a"]] + 0.1 * x[["b"]], N = 256, bootstrap = 0)
  expect_identical(s$indices$name, c("a", "b"))
  expect_gt(s$indices["a", "first"], 0.9)
  expect_lt(s$indices["b", "total"], 0.05)
  expect_true(is.na(s$statistic))
})

test_that("bad sensitivity input raises a cart_error naming the problem", {
  catch <- function(expr) tryCatch(expr, cart_error = function(e) e)
  e <- catch(cart_sensitivity(scenario, list(rhoo = c(0.5, 1)), statistic = "cr", N = 4, progress = FALSE))
  expect_s3_class(e, "cart_error")
  expect_match(conditionMessage(e), "rhoo")
  e <- catch(cart_sensitivity(scenario, list(rho = c(0.5, 1)), statistic = "median(cmx)", N = 4, progress = FALSE))
  expect_s3_class(e, "cart_error")
  expect_match(conditionMessage(e), "cmx")
  e <- catch(cart_sensitivity(scenario, list(rho = c(1, 0.5)), statistic = "cr", N = 4, progress = FALSE))
  expect_match(conditionMessage(e), "rho")
  e <- catch(cart_sensitivity(scenario, list(rho = "0.5-1"), statistic = "cr", N = 4, progress = FALSE))
  expect_identical(e$name, "CART_EPARSE")
  expect_match(conditionMessage(e), "^params rho=0.5-1: ")
  expect_match(conditionMessage(catch(cart_sensitivity(scenario, list(rho = c(0.5, 1)), N = 4))), "either statistic")
})
