# The `cart` command of the libcart build these tests compare with (CART_BIN), or a skip.
cart_bin <- function() {
  bin <- Sys.getenv("CART_BIN")
  if (!nzchar(bin) || !file.exists(bin)) {
    skip("CART_BIN is not set to the built `cart` command (tests/r.sh sets it): no comparison with `cart run`")
  }
  bin
}

# `cart run ARGS` as a header and rows of text fields.
cart_run <- function(args) {
  out <- system2(cart_bin(), c("run", args), stdout = TRUE)
  fields <- strsplit(out, "\t", fixed = TRUE)
  list(header = fields[[1L]], rows = fields[-1L])
}

# A solution's first `n` columns as `cart run` prints them (%.10g), the header with t for time.
printed <- function(solution, n) {
  frame <- as.data.frame(lapply(unclass(solution), as.vector), optional = TRUE)[seq_len(n)]
  list(header = c("t", names(frame)[-1L]),
       rows = lapply(seq_len(nrow(frame)), function(k) sprintf("%.10g", unlist(frame[k, ]))))
}

expect_same_as_cart_run <- function(solution, args) {
  cli <- cart_run(args)
  ours <- printed(solution, length(cli$header))
  expect_identical(ours$header, cli$header)
  expect_identical(length(ours$rows), length(cli$rows))
  for (k in seq_along(cli$rows)) expect_identical(ours$rows[[k]], cli$rows[[k]], info = sprintf("row %d", k))
}
