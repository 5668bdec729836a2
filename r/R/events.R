# Event tables (NONMEM / rxode2 layout) as libcart doses.
#
# A table is read here into the text forms of libcart's dose grammar (cart_grammar.h):
# "TIME:CELLS[:FMEM]" for CAR-T cells, "TIME:MG_PER_KG[:HOURS[:CAP_MG]]" for tocilizumab, the forms
# `cart run --dose/--toci`, a scenario's [dosing] and Python's solve() take, and libcart parses
# and checks each of them (cart_parse_cart_dose, cart_dosing_add_cart ...). So a table gives
# exactly the doses the command line gives, and a bad dose the library's message. This file only
# checks the table's own form (columns, numbers, compartments, evid, ii/addl), as the Python
# package's libcart/_events.py does, naming the row and the column in every message.

cart_events <- function(time, amt, cmt, dur = NA_real_, rate = NA_real_, ii = 0, addl = 0,
                        evid = 1L, id = 1L) {
  data.frame(id = id, time = time, amt = amt, cmt = cmt, dur = dur, rate = rate, ii = ii,
             addl = addl, evid = evid, stringsAsFactors = FALSE)
}

event_where <- function(row, column) sprintf("events row %d, column %s", row, column)

# The cell as a string or number, NULL when the column is absent or the cell empty (NA, "", ".").
event_cell <- function(table, row, column) {
  if (!column %in% names(table)) return(NULL)
  value <- table[[column]][[row]]
  if (is.factor(value)) value <- as.character(value)
  if (length(value) != 1L || is.na(value)) return(NULL)
  if (is.character(value) && trimws(value) %in% c("", ".", "NA", "nan", "NaN")) return(NULL)
  value
}

event_number <- function(table, row, column, default = NULL, least = NULL, integer = FALSE) {
  value <- event_cell(table, row, column)
  where <- event_where(row, column)
  if (is.null(value)) {
    if (is.null(default)) cart_stop(sprintf("%s: empty; a number is needed", where))
    return(default)
  }
  number <- suppressWarnings(as.numeric(if (is.character(value)) trimws(value) else value))
  if (is.logical(value) || is.na(number) || !is.finite(number)) {
    cart_stop(sprintf("%s: '%s' is not a finite number", where, format(value)))
  }
  if (!is.null(least) && number < least) {
    cart_stop(sprintf("%s: %s is below %g", where, format(value), least))
  }
  if (integer && number != round(number)) {
    cart_stop(sprintf("%s: %s is not a whole number", where, format(value)))
  }
  number
}

# "cart" or "toci" for the row's cmt: a name (cart, car-t, cart_cells; toci, tocilizumab), or the
# 1-based number or name of the state the dose enters (cart_model_dose_state).
event_target <- function(table, row, info) {
  value <- event_cell(table, row, "cmt")
  where <- event_where(row, "cmt")
  states <- info$states$name
  if (is.null(value)) cart_stop(sprintf("%s: empty; expected cart, toci or a compartment number", where))
  text <- if (is.character(value)) trimws(value) else value
  number <- suppressWarnings(as.numeric(text))
  if (!is.na(number)) {
    if (number != round(number) || number < 1 || number > length(states)) {
      cart_stop(sprintf("%s: %s is not a compartment of model %s (1..%d)", where, format(value),
                        info$name, length(states)))
    }
    index <- as.integer(number)
  } else if (tolower(text) %in% c("cart", "car-t", "cart_cells")) {
    return("cart")
  } else if (tolower(text) %in% c("toci", "tocilizumab")) {
    return("toci")
  } else if (text %in% states) {
    index <- match(text, states)
  } else {
    cart_stop(sprintf("%s: unknown target '%s' (expected cart, toci, or a state of model %s: %s)",
                      where, text, info$name, paste(states, collapse = ", ")))
  }
  dose <- info$dose_states
  if (!is.na(dose[["cart"]]) && index == dose[["cart"]]) return("cart")
  if (!is.na(dose[["toci"]]) && index == dose[["toci"]]) return("toci")
  targets <- c(if (!is.na(dose[["cart"]])) sprintf("%d (%s) CAR-T cells", dose[["cart"]], states[dose[["cart"]]]),
               if (!is.na(dose[["toci"]])) sprintf("%d (%s) tocilizumab", dose[["toci"]], states[dose[["toci"]]]))
  cart_stop(sprintf("%s: compartment %d (%s) of model %s takes no doses (dosing targets: %s)",
                    where, index, states[index], info$name,
                    if (length(targets)) paste(targets, collapse = ", ") else "none"))
}

# A number in the grammar's text: %.17g names the double exactly.
dose_field <- function(x) sprintf("%.17g", x)

# list(cart, cart_what, toci, toci_what, observations) of an event table for the model described
# by `info` (cart_model_info): dose texts in row order (repeats after their row), the row each
# comes from, and the times of observation rows (evid 0).
event_doses <- function(events, info) {
  if (is.character(events) && length(events) == 1L) {
    events <- utils::read.csv(events, strip.white = TRUE, stringsAsFactors = FALSE)
  }
  if (!is.data.frame(events)) {
    cart_stop("events must be a data frame (or the path of a CSV file) in the NONMEM/rxode2 layout")
  }
  names(events) <- tolower(trimws(names(events)))
  if (anyDuplicated(names(events))) {
    cart_stop(sprintf("events: column %s is given twice (names are read in any case)",
                      names(events)[anyDuplicated(names(events))]))
  }
  for (required in c("time", "amt", "cmt")) {
    if (!required %in% names(events)) {
      cart_stop(sprintf("events: no column '%s' (columns: %s; expected time, amt, cmt and optionally evid, dur or rate, ii, addl)",
                        required, paste(names(events), collapse = ", ")))
    }
  }
  out <- list(cart = character(), cart_what = character(), toci = character(),
              toci_what = character(), observations = numeric())
  first_id <- NULL
  for (row in seq_len(nrow(events))) {
    what <- sprintf("events row %d", row)
    subject <- event_cell(events, row, "id")
    if (!is.null(subject)) {
      if (is.null(first_id)) first_id <- subject
      if (!identical(format(subject), format(first_id))) {
        cart_stop(sprintf("%s: a second subject (%s after %s): the schedule is every patient's, give one subject's rows",
                          event_where(row, "id"), format(subject), format(first_id)))
      }
    }
    evid <- event_number(events, row, "evid", default = 1)
    time <- event_number(events, row, "time", least = 0)
    if (evid == 0) {
      out$observations <- c(out$observations, time)
      next
    }
    if (evid != 1) {
      cart_stop(sprintf("%s: evid %s is not supported (1: a dose, 0: an observation time; resets and other events are not)",
                        event_where(row, "evid"), format(evid)))
    }
    if (event_number(events, row, "ss", default = 0) != 0) {
      cart_stop(sprintf("%s: steady-state doses are not supported; give the doses with ii and addl",
                        event_where(row, "ss")))
    }
    amt <- event_number(events, row, "amt", least = 0)
    target <- event_target(events, row, info)
    dur <- event_number(events, row, "dur", default = -1)
    rate <- event_number(events, row, "rate", default = 0)
    if (dur < 0 && !is.null(event_cell(events, row, "dur"))) {
      cart_stop(sprintf("%s: %g is below 0", event_where(row, "dur"), dur))
    }
    if (rate < 0) {
      cart_stop(sprintf("%s: rate %g (a modelled rate or duration in NONMEM) is not supported: give dur in days or rate in amt per day",
                        event_where(row, "rate"), rate))
    }
    if (rate > 0 && dur > 0) cart_stop(sprintf("%s: both dur and rate are given; give one", event_where(row, "dur, rate")))
    if (rate > 0) dur <- amt / rate
    ii <- event_number(events, row, "ii", default = 0, least = 0)
    addl <- event_number(events, row, "addl", default = 0, least = 0, integer = TRUE)
    if (addl > 0 && ii <= 0) cart_stop(sprintf("%s: addl = %g repeats need ii > 0", event_where(row, "ii"), addl))
    if (target == "cart") {
      if (dur > 0) {
        cart_stop(sprintf("%s: CAR-T cells are given at once (no infusion duration); leave dur and rate empty or 0",
                          event_where(row, if (rate == 0) "dur" else "rate")))
      }
      if (!is.null(event_cell(events, row, "cap_mg"))) cart_stop(sprintf("%s: cap_mg is a tocilizumab setting", event_where(row, "cap_mg")))
      tail <- if (!is.null(event_cell(events, row, "fmem"))) paste0(":", dose_field(event_number(events, row, "fmem"))) else ""
    } else {
      if (!is.null(event_cell(events, row, "fmem"))) cart_stop(sprintf("%s: fmem is a CAR-T setting", event_where(row, "fmem")))
      has_cap <- !is.null(event_cell(events, row, "cap_mg"))
      # the grammar's HOURS: dur days in hours (libcart's cart_days_from_hours divides it back)
      hours <- if (dur >= 0) dose_field(dur * 24) else if (has_cap) "1" else NULL
      tail <- paste0(if (!is.null(hours)) paste0(":", hours) else "",
                     if (has_cap) paste0(":", dose_field(event_number(events, row, "cap_mg", least = 0))) else "")
    }
    texts <- sprintf("%s:%s%s", dose_field(time + seq(0, addl) * ii), dose_field(amt), tail)
    out[[target]] <- c(out[[target]], texts)
    out[[paste0(target, "_what")]] <- c(out[[paste0(target, "_what")]], rep(what, length(texts)))
  }
  out
}
