# The README's R lines ("## From R") run as written, in a temporary directory: they need the
# source tree's README (CART_SRCDIR, which tests/r.sh sets).

test_that("the README's R lines run the default trial and save its figure", {
  srcdir <- Sys.getenv("CART_SRCDIR")
  if (!nzchar(srcdir) || !file.exists(file.path(srcdir, "README.md"))) {
    skip("CART_SRCDIR is not set to the libcart source tree (tests/r.sh sets it)")
  }
  skip_if_not_installed("ggplot2")
  text <- readLines(file.path(srcdir, "README.md"))
  section <- text[seq(which(text == "## From R"), length(text))]
  first <- which(section == "```r")[1L]
  last <- first + which(section[-seq_len(first)] == "```")[1L]
  lines <- section[(first + 1L):(last - 1L)]
  expect_length(lines, 5L)
  dir <- tempfile()
  dir.create(dir)
  old <- setwd(dir)
  on.exit(setwd(old))
  env <- new.env()
  capture.output(for (line in lines) eval(parse(text = line), env))
  expect_identical(env$trial$summary$n_patients, 1000L)
  expect_true(file.exists("cart-trial.h5") && file.exists("trial.png"))
})
