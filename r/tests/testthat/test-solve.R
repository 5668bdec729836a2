# cart_solve against `cart run` (the reference options of the Python package's test_api.py), its
# frame, units and endpoints.

test_that("cart_solve equals cart run to the last printed digit", {
  expect_same_as_cart_run(cart_solve(), character())
  expect_same_as_cart_run(
    cart_solve(params = c(rho = 0.7), doses = "14:1e8", toci = "5:8", times = seq(0, 60, 0.5)),
    c("--set", "rho=0.7", "--dose", "14:1e8", "--toci", "5:8", "--times", "0:60:0.5"))
  expect_same_as_cart_run(cart_solve("stein"), c("--model", "stein"))
  expect_same_as_cart_run(
    cart_solve(params = list(dose = 2e8, f_mem = 0.3), toci_rule = TRUE, times = c(0, 3.5, 7, 30, 90)),
    c("--dose", "0:2e8:0.3", "--toci-rule", "on", "--times", "0,3.5,7,30,90"))
  expect_same_as_cart_run(
    cart_solve(params = c(T0 = 3e11, p_amp = 9000), toci_rule = "150:6:3:4", method = "rk8pd",
               rtol = 1e-8, n_ext = 0, max_steps = 200000, toci = "2:4:2:300", times = 0:120),
    c("--set", "T0=3e11", "--set", "p_amp=9000", "--toci-rule", "150:6:3:4", "--method", "rk8pd",
      "--rtol", "1e-8", "--n-ext", "0", "--max-steps", "200000", "--toci", "2:4:2:300",
      "--times", "0:120:1"))
})

test_that("the endpoints are cart run --endpoints' to the last digit", {
  out <- system2(cart_bin(), c("run", "--toci-rule", "on", "--endpoints"), stdout = TRUE)
  block <- out[(which(out == "# endpoints") + 2L):length(out)]
  fields <- strsplit(block, "\t", fixed = TRUE)
  sol <- cart_solve(toci_rule = TRUE)
  ep <- attr(sol, "endpoints")
  expect_identical(ep$name, vapply(fields, `[`, "", 1L))
  expect_identical(sprintf("%.17g", ep$value), sub("^nan$", "NaN", vapply(fields, `[`, "", 2L)))
  expect_identical(ep$unit, vapply(fields, `[`, "", 3L))
})

test_that("the solution is a data frame with units", {
  sol <- cart_solve(times = c(0, 7, 14))
  expect_s3_class(sol, "data.frame")
  expect_identical(names(sol)[1:11], c("time", "E", "M", "X", "Tp", "Tn", "B", "IL6", "D1", "D2", "Cblood"))
  expect_true(all(c("tumour", "IL6s", "CRS") %in% names(sol)))
  expect_identical(attr(sol, "units")[["IL6"]], "pg/mL")
  expect_identical(attr(sol$Cblood, "unit"), "cells/uL")
  expect_identical(attr(sol, "params")[["rho"]], 0.6)
  expect_identical(cart_solve(times = "0:14:7")$E, sol$E)
  expect_identical(attr(sol, "endpoints")$name, cart_model_info()$endpoints$name)
})

test_that("models and their tables come from the library", {
  expect_true(all(c("cart", "cart2", "stein") %in% cart_models()))
  info <- cart_model_info("cart")
  expect_identical(info$states$name, c("E", "M", "X", "Tp", "Tn", "B", "IL6", "D1", "D2"))
  expect_identical(info$params["rho", "unit"], "1/day")
  expect_identical(info$params["rho", "default"], 0.6)
  expect_true(all(info$params$default >= info$params$lower & info$params$default <= info$params$upper))
  expect_identical(unname(info$dose_states), c(1L, 8L))
  expect_true("cmax" %in% info$endpoints$name)
})
