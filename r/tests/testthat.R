# The package's tests (testthat). `cart run` comparisons need the built command: set CART_BIN to
# its path (tests/r.sh does: the build tree's src/cart); without it they are skipped, saying so.
library(testthat)
library(libcart)
test_check("libcart")
