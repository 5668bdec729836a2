# Event tables (NONMEM / rxode2 layout) as libcart doses, read by the library.
#
# The table's grammar (columns time, amt, cmt, evid, dur or rate, ii/addl, fmem, cap_mg, ss, id;
# what each means and every check) is libcart's, cart_parse_event_table (cart_grammar.h,
# libcart(3)), as Python's events= and `cart run --event-table` read it: one table gives the
# same doses and a bad one the same message everywhere. This file only hands it the table's text:
# a CSV file as it is (rows named "PATH line N"), a data frame written as CSV with every number
# in %.17g, the double it holds (rows named "events row K", K from 1). Each dose comes back in
# the text form of libcart's dose grammar ("TIME:CELLS[:FMEM]", "TIME:MG_PER_KG[:HOURS[:CAP_MG]]"),
# the forms `cart run --dose/--toci` and a scenario's [dosing] take.

cart_events <- function(time, amt, cmt, dur = NA_real_, rate = NA_real_, ii = 0, addl = 0,
                        evid = 1L, id = 1L) {
  data.frame(id = id, time = time, amt = amt, cmt = cmt, dur = dur, rate = rate, ii = ii,
             addl = addl, evid = evid, stringsAsFactors = FALSE)
}

# A CSV field: quoted when it holds a comma, a quote or a line break.
csv_field <- function(x) {
  quote <- grepl("[,\"\n\r]", x)
  x[quote] <- paste0("\"", gsub("\"", "\"\"", x[quote], fixed = TRUE), "\"")
  x
}

# A data frame as CSV text: numbers in %.17g (exact), NA empty, the rest as text.
events_csv <- function(events) {
  columns <- lapply(events, function(x) {
    if (is.factor(x)) x <- as.character(x)
    out <- if (is.numeric(x) && !is.logical(x)) sprintf("%.17g", as.double(x)) else as.character(x)
    out[is.na(x)] <- ""
    csv_field(out)
  })
  rows <- if (length(columns)) do.call(paste, c(unname(columns), sep = ",")) else character()
  paste0(paste(c(paste(csv_field(names(events)), collapse = ","), rows), collapse = "\n"), "\n")
}

# list(text, source, first_row) of an event table as libcart reads it: a CSV file as it is (rows
# named "PATH line N"), a data frame as events_csv (rows "events row K", K from 1).
event_table_text <- function(events) {
  if (is.character(events) && length(events) == 1L) {
    if (!file.exists(events) || dir.exists(events)) {
      cart_stop(sprintf("events file '%s': no such file", events))
    }
    text <- paste0(readLines(events, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
    source <- events
    first_row <- -1L
  } else if (is.data.frame(events)) {
    text <- events_csv(events)
    source <- "events"
    first_row <- 1L
  } else {
    cart_stop("events must be a data frame (or the path of a CSV file) in the NONMEM/rxode2 layout")
  }
  list(text = enc2utf8(text), source = enc2utf8(source), first_row = first_row)
}

# list(cart, cart_what, toci, toci_what, observations) of an event table for the model described
# by `info` (cart_model_info): dose texts in row order (repeats after their row), the row each
# comes from, and the times of observation rows (evid 0).
event_doses <- function(events, info) {
  table <- event_table_text(events)
  cart_result(.Call(C_rcart_event_table, table$text, table$source, info$name, table$first_row))
}

# The scenario text `text` (named `source`) with the doses of an event table added by libcart
# (cart_scenario_add_event_table, as `cart trial --event-table` adds them): a [dosing] section,
# and the same lines in every arm that gives its own dosing.cart (dosing.toci) lines.
scenario_with_events <- function(text, source, events) {
  table <- event_table_text(events)
  cart_result(.Call(C_rcart_scenario_add_event_table, text, source, table$text, table$source,
                    table$first_row))
}
