# Bad input raises a cart_error carrying libcart's code and message, naming what was wrong.

catch <- function(expr) tryCatch(expr, cart_error = function(e) e)

test_that("a bad parameter name or value names the parameter", {
  e <- catch(cart_solve(params = c(rhoo = 1)))
  expect_s3_class(e, "cart_error")
  expect_identical(e$code, -4L)
  expect_identical(e$name, "CART_EUNKNOWN_PARAM")
  expect_match(conditionMessage(e), "rhoo")
  e <- catch(cart_solve(params = c(rho = -1)))
  expect_identical(e$name, "CART_ERANGE")
  expect_match(conditionMessage(e), "parameter 'rho'")
  e <- catch(cart_solve(params = c(rho = NaN)))
  expect_identical(e$name, "CART_ENOTFINITE")
  expect_match(conditionMessage(e), "rho")
})

test_that("the library's messages are those of cart run", {
  run <- suppressWarnings(system2(cart_bin(), c("run", "--set", "rho=-1"), stdout = TRUE, stderr = TRUE))
  e <- catch(cart_solve(params = c(rho = -1)))
  expect_true(any(grepl(conditionMessage(e), run, fixed = TRUE)))
})

test_that("bad doses, times, models and settings raise cart_error", {
  expect_identical(catch(cart_solve(doses = "14"))$name, "CART_EPARSE")
  expect_match(conditionMessage(catch(cart_solve(doses = "14"))), "^doses 14: ")
  expect_identical(catch(cart_solve(toci = "-1:8"))$name, "CART_EDOSE")
  expect_identical(catch(cart_solve(times = c(3, 1)))$name, "CART_ETIMES")
  expect_identical(catch(cart_solve(times = "0:1:0"))$name, "CART_ETIMES")
  expect_identical(catch(cart_model_info("nope"))$name, "CART_EUNKNOWN_MODEL")
  expect_identical(catch(cart_solve(method = "euler"))$name, "CART_EINVAL")
  e <- catch(cart_solve(endpoint_settings = c(n_detekt = 1)))
  expect_identical(e$name, "CART_EUNKNOWN_PARAM")
  expect_match(conditionMessage(e), "n_detekt")
  expect_identical(catch(cart_trial("[trial]\nmodel = cart\nbogus = 1\n", output = tempfile(), progress = FALSE))$name,
                   "CART_EPARSE")
})
