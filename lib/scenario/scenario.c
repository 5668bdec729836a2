/* scenario.c: virtual-trial scenarios in INI format (cart-scenario(5)).
 *
 * libinih does the syntax; this file does the meaning. Loading runs in two passes:
 *
 *   1. Reading (file order). libinih calls read_line() for every line and on_entry() for every
 *      "key = value" it finds. read_line() counts lines, so on_entry() knows the line of its key
 *      (Debian's libinih is built without INI_HANDLER_LINENO), and it strips leading blanks, so
 *      libinih never takes an indented line for the continuation of the previous value (its
 *      Python-configparser multi-line values, which scenarios do not have). on_entry() finds
 *      the key's row in key_table (one row per key: how its value is read, where it goes, the
 *      values it takes, its unit) and the row's reader checks the value and collects it with its
 *      line; doses and time lists are read by cart_grammar.h, as the cart command reads them.
 *      Nothing needs the model yet.
 *   2. Building (a fixed order, so that sections may come in any order): the model of [trial],
 *      then [trial], [times], [solver], [parameters], the CAR-T dose at t = 0 (the parameter
 *      `dose`), the model's rules, [variability], [correlation] (and the population's Cholesky
 *      factor), [endpoints], [outputs], the other CAR-T doses, the fixed tocilizumab doses,
 *      the tocilizumab rule ([tocilizumab]), [events], and finally cart_trial_prepare().
 *
 * The first error stops the load. Its message starts with "SOURCE:LINE: " (or "SOURCE: " where
 * no line can be named, which only cart_trial_prepare's own checks can give).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include <cart/cart_grammar.h>
#include <cart/cart_scenario.h>

#include "../util/error.h"
#include "../util/text.h"
#include "scenario_impl.h"

/* ---- the built-in default scenario ---- */

static const char default_scenario[] =
    "# Calibrated by cart calibrate 0.2.0 to ZUMA-1 (axi-cel, r/r LBCL, Neelapu 2017) (examples/zuma1-targets.ini),\n"
    "# N = 2000, seed = 1; objective 2.97229 after 220 evaluations (max_evaluations reached).\n"
    "# Run with n_patients = 2000 and seed = 1 to reproduce the simulated statistics.\n"
    "# targets: observed [95 % interval] vs simulated +- MC SE (in range):\n"
    "#   orr                      0.8218 [0.7358, 0.8842] vs 0.831 +- 0.0084 (yes)\n"
    "#   cr                       0.5446 [0.4476, 0.6383] vs 0.5345 +- 0.011 (yes)\n"
    "#   crs_any                  0.9307 [0.8638, 0.966] vs 0.9125 +- 0.0063 (yes)\n"
    "#   crs_grade3               0.1287 [0.07679, 0.2078] vs 0.101 +- 0.0067 (yes)\n"
    "#   toci                     0.4257 [0.3338, 0.5231] vs 0.4685 +- 0.011 (yes)\n"
    "#   median(cmax)             38 [20, 80] vs 33.99 +- 0.83 (yes)\n"
    "#   median(tmax)             10.5 [7, 14] vs 9.866 +- 0.03 (yes)\n"
    "#   relapse_cr(365)          0.3 [0.15, 0.45] vs 0.2853 +- 0.014 (yes)\n"
    "#   relapse_negative(365)    0.3 [0.15, 0.5] vs 0.2852 +- 0.026 (yes)\n"
    "#   cr_tercile_diff(T0)      -0.2 [-0.4, -0.05] vs -0.1261 +- 0.027 (yes)\n"
    "# fitted values +- SE (search bounds):\n"
    "#   rho                      0.579342 +- 0.166 ([0.5, 0.7])\n"
    "#   t_prog                   7.86324 +- 2.85 ([7, 12])\n"
    "#   gamma                    60.029 +- 79.5 ([10, 100])\n"
    "#   a_tum                    0.203804 +- 0.229 ([0.03, 0.6])\n"
    "#   q_ifn                    17.5819 +- 19.3 ([3, 40])\n"
    "#   f_blood                  0.0151247 +- 0.0209 ([0.003, 0.05])\n"
    "#   k_imm                    0.0842488 +- 0.111 ([0.02, 0.15])\n"
    "#   f_neg0                   3.61965e-05 +- 0.000127 ([1e-06, 0.0001])\n"
    "#   cv.T0                    0.768462 +- 1.37 ([0.5, 3])\n"
    "#   cv.q_ifn                 2.24249 +- 2.81 ([0.5, 3])\n"
    "# Calibrated to these summary statistics, not validated beyond them.\n"
    "#\n"
    "# The built-in default trial of libcart: a ZUMA-1-like trial (axicabtagene ciloleucel in\n"
    "# refractory large B-cell lymphoma), in the scenario format of cart-scenario(5). It runs as it\n"
    "# is; save it (cart scenario > my.ini), change what you need and run that.\n"
    "# A line starting with '#' or ';' is a comment, and so is ' ; text' after a value.\n"
    "# Sections may come in any order and any key may be left out, except [trial] model: a key left\n"
    "# out of a scenario keeps the format's default (a parameter: the model's default, MODEL.md 2.2\n"
    "# and doc/models.md), not the value written here.\n"
    "\n"
    "[trial]\n"
    "# the model to simulate (MODEL.md 2.2; `cart models` lists the models)\n"
    "model = cart\n"
    "# number of virtual patients\n"
    "n_patients = 1000\n"
    "# random seed: patient i's parameters depend only on (seed, i), whatever N or the threads\n"
    "seed = 20261123\n"
    "\n"
    "[times]\n"
    "# output times in days: 0, early_step, ... up to early_until, then every step up to horizon,\n"
    "# and horizon itself (here daily to day 28 for the expansion and CRS, then weekly: 0, 1, ...,\n"
    "# 28, 35, ..., 364, 365); the solve runs from day 0 to the horizon\n"
    "horizon = 365\n"
    "step = 7\n"
    "early_step = 1\n"
    "early_until = 28\n"
    "# or an explicit, non-decreasing list instead of horizon and step:\n"
    "# list = 0, 1, 7, 14, 28, 90, 180, 365\n"
    "\n"
    "[solver]\n"
    "# rodas5p (libcart's Rosenbrock method, order 5, analytic Jacobian), gsl-bdf (GSL msbdf) or rk8pd\n"
    "method = rodas5p\n"
    "# relative tolerance of every state (MODEL.md 6)\n"
    "rtol = 1e-6\n"
    "# absolute tolerance of each state (MODEL.md 6): 1 cell, 1e-3 pg/mL of IL-6, 1e-6 mg of\n"
    "# tocilizumab; a state left out keeps the model's value\n"
    "atol.E = 1\n"
    "atol.M = 1\n"
    "atol.X = 1\n"
    "atol.Tp = 1\n"
    "atol.Tn = 1\n"
    "atol.B = 1\n"
    "atol.IL6 = 1e-3\n"
    "atol.D1 = 1e-6\n"
    "atol.D2 = 1e-6\n"
    "# most steps of one patient's solve; a patient that needs more fails with CART_EMAXSTEPS\n"
    "max_steps = 100000\n"
    "\n"
    "[parameters]\n"
    "# typical values, NAME = VALUE; a parameter left out keeps its model default (`cart models`\n"
    "# lists them with units and bounds; doc/models.md has the equations and sources). The t = 0\n"
    "# infusion is the parameter dose (1.4e8 cells, 2e6/kg at 70 kg) with the memory fraction f_mem.\n"
    "# The opt-in mechanisms of doc/models.md 2.8 are on: programmed expansion and contraction\n"
    "# (t_prog, n_prog), immune control of small tumours (k_imm, K_imm) and the CRS signal that\n"
    "# tocilizumab does not block (q_ifn). The values were found by a screen of the mechanisms\n"
    "# against ZUMA-1 and then fitted by cart calibrate (the comment block at the top):\n"
    "rho = 0.57934247612571188\n"
    "t_prog = 7.8632354590963089\n"
    "n_prog = 4\n"
    "gamma = 60.028968288881451\n"
    "a_tum = 0.2038041965783198\n"
    "Kkill = 116461223919.92134\n"
    "T0 = 107997783420.03204\n"
    "f_neg0 = 3.6196518860968198e-05\n"
    "r_tum = 0.031513656479101031\n"
    "k_imm = 0.084248816406552851\n"
    "K_imm = 47176155.993391164\n"
    "q_ifn = 17.581943848397295\n"
    "p_act = 3.5480740840686273\n"
    "p_kill = 24.154033673617732\n"
    "f_blood = 0.015124667762105075\n"
    "\n"
    "[variability]\n"
    "# between-patient variability, NAME = CV (coefficient of variation): log-normal, or\n"
    "# logit-normal for parameters bounded in [0, 1]. Tumour burden, the antigen-negative fraction,\n"
    "# kill potency and the cytokine signal vary widely between patients; expansion and growth\n"
    "# rates less:\n"
    "rho = 0.10438985909214232\n"
    "delta_E = 0.32015978488294328\n"
    "gamma = 1.0070012022390482\n"
    "T0 = 0.76846157368896328\n"
    "f_neg0 = 3.8158911958525081\n"
    "r_tum = 0.47881519465334482\n"
    "k_imm = 1.147563392441961\n"
    "q_ifn = 2.2424924600680143\n"
    "p_act = 1.0473473414510885\n"
    "# body weight (kg), which sets weight-based tocilizumab doses\n"
    "WT = 0.2\n"
    "\n"
    "[correlation]\n"
    "# correlation of two varied parameters, NAME1, NAME2 = R with -1 < R < 1; none here:\n"
    "# rho, gamma = 0.5\n"
    "\n"
    "[dosing]\n"
    "# extra CAR-T infusions, cart = TIME:CELLS[:FMEM] (day, cells, memory fraction; FMEM\n"
    "# left out: the parameter f_mem); repeat the key for more. None here: the t = 0 infusion\n"
    "# is the parameter dose. A second infusion of 1e8 cells on day 14 would be:\n"
    "# cart = 14:1e8\n"
    "# fixed tocilizumab, toci = TIME:MG_PER_KG[:HOURS[:CAP_MG]] (infused over 1 h and capped at\n"
    "# 800 mg unless given), for every patient whatever their IL-6; none here: tocilizumab is\n"
    "# given by rule instead ([tocilizumab] below). 8 mg/kg on day 3 would be:\n"
    "# toci = 3:8\n"
    "\n"
    "[tocilizumab]\n"
    "# tocilizumab by rule (MODEL.md 3), the standard of care: when IL6s rises through the\n"
    "# trigger, give a dose; then every interval, while IL6s is still above the trigger, again.\n"
    "# on or off (a scenario without this section has it off); with rule = off the settings\n"
    "# below are kept, so that switching it back on is one edit\n"
    "rule = on\n"
    "# pg/mL of IL6s: the CRS grade-2 threshold (changing crs_g2 in [endpoints] does not move it)\n"
    "trigger = 200\n"
    "# hours between the checks that repeat a dose while IL6s is above the trigger\n"
    "interval_h = 8\n"
    "# most doses the rule gives to a patient, 1 to 16 (a later rise through the trigger starts\n"
    "# a new series within the same maximum)\n"
    "max_doses = 4\n"
    "# each dose is mg_per_kg times the weight WT, at most cap_mg mg, infused over infusion_h\n"
    "# hours (0: a bolus)\n"
    "mg_per_kg = 8\n"
    "cap_mg = 800\n"
    "infusion_h = 1\n"
    "# hours from the rise to the first dose, given only if still above the trigger then (0-720)\n"
    "delay_h = 12\n"
    "\n"
    "[events]\n"
    "# extinction (MODEL.md 3): a tumour phenotype (Tp or Tn) that falls through n_ext cells is\n"
    "# set to exactly 0, and one that starts below n_ext starts at 0; 0 turns extinction off\n"
    "n_ext = 1\n"
    "\n"
    "[endpoints]\n"
    "# settings of the endpoints (MODEL.md 4); a model's own settings (`cart models` lists them)\n"
    "# are set here by name too\n"
    "# cells: detection limit of the tumour (Tp + Tn); below it is a complete response\n"
    "n_detect = 1e9\n"
    "# day: a complete response must be reached before it\n"
    "t_resp = 90\n"
    "# B cells below f_aplasia * B0 count as B-cell aplasia\n"
    "f_aplasia = 0.1\n"
    "# pg/mL: IL6s thresholds of CRS grades 1 to 4 (a model convention, not clinical grading)\n"
    "crs_g1 = 40\n"
    "crs_g2 = 200\n"
    "crs_g3 = 1000\n"
    "crs_g4 = 5000\n"
    "# day: upper limit of the endpoint auc28\n"
    "auc_end = 28\n"
    "\n"
    "[outputs]\n"
    "# trajectories kept for every patient at the output times: states of the model or its\n"
    "# derived signals (cart: Cblood in cells/uL, tumour = Tp + Tn, IL6s); empty: none\n"
    "trajectories = Cblood, tumour, B, IL6, IL6s, CRS\n";

const char *cart_scenario_default(void)
{
  return default_scenario;
}

/* ---- what pass 1 collects ---- */

enum section {
  SECTION_TRIAL,
  SECTION_TIMES,
  SECTION_SOLVER,
  SECTION_PARAMETERS,
  SECTION_VARIABILITY,
  SECTION_CORRELATION,
  SECTION_DOSING,
  SECTION_ENDPOINTS,
  SECTION_OUTPUTS,
  SECTION_TOCILIZUMAB,
  SECTION_EVENTS,
  SECTION_PATIENTS,
  SECTION_COST,
  N_SECTIONS
};

static const char *const section_names[N_SECTIONS] = {
    "trial", "times", "solver", "parameters", "variability", "correlation", "dosing",
    "endpoints", "outputs", "tocilizumab", "events", "patients", "cost"};

/* The keys of [cost] (cart_costs): every one must be given when any is. */
enum cost_key {
  COST_PRODUCT,
  COST_TOCI_DOSE,
  COST_HOSPITAL_DAY,
  COST_LOS_G0, /* COST_LOS_G1..G4 follow */
  N_COST_KEYS = COST_LOS_G0 + 5
};
static const char *const cost_key_names[N_COST_KEYS] = {
    "product", "toci_dose", "hospital_day", "los_days_g0", "los_days_g1",
    "los_days_g2", "los_days_g3", "los_days_g4"};

enum endpoint_key {
  ENDPOINT_N_DETECT,
  ENDPOINT_T_RESP,
  ENDPOINT_F_APLASIA,
  ENDPOINT_CRS_G1, /* CRS_G2..G4 follow */
  ENDPOINT_AUC_END = ENDPOINT_CRS_G1 + 4,
  N_ENDPOINT_KEYS
};

/* The settings of [tocilizumab] besides `rule` (cart_toci_rule, in the scenario's units). */
enum rule_key {
  RULE_TRIGGER,    /* pg/mL */
  RULE_INTERVAL_H, /* hours */
  RULE_MAX_DOSES,  /* an integer */
  RULE_MG_PER_KG,
  RULE_CAP_MG,
  RULE_INFUSION_H, /* hours */
  RULE_DELAY_H,    /* hours */
  N_RULE_KEYS
};

/* One repeatable entry: a parameter value, a cv, a correlation, a dose, a state's atol. */
typedef struct entry {
  char *name;  /* parameter or state; NULL for doses */
  char *name2; /* the second parameter of a correlation */
  double value;
  cart_cart_dose cart_dose; /* [dosing] cart, as cart_parse_cart_dose read it */
  cart_toci_dose toci_dose; /* [dosing] toci, as cart_parse_toci_dose read it */
  int line;
} entry;

typedef struct entry_list {
  entry *items;
  size_t count, capacity;
} entry_list;

/* A key given once: its line (0: not given) and its value, in the field its type fills
 * (key_row). */
typedef struct setting {
  int line;
  double number;  /* KEY_NUMBER, and KEY_COUNT's value as a double */
  uint64_t count; /* KEY_COUNT; KEY_METHOD's cart_method; KEY_ON_OFF's 1 (on) or 0 (off) */
  char *text;     /* KEY_NAME, KEY_TEXT */
} setting;

struct arm_spec;

typedef struct loader {
  const char *source;
  const char *position; /* next character for read_line */
  int line;             /* lines read so far: the line libinih is working on */
  int section_line;     /* line of the latest section header */
  int trial_line;       /* line of the first [trial] header (0: none) */
  int failed;
  int error_line;
  cart_error error;

  setting model, n_patients, seed;
  setting horizon, step, early_step, early_until;
  double *times; /* [times] list, every `list` key joined */
  int *time_lines;
  size_t n_times, times_capacity;
  int list_line; /* the first `list` key */
  setting method, rtol, max_steps;
  entry_list atol, parameters, variability, correlation, cart_doses, toci_doses;
  /* [endpoints] keys besides the trial-wide ones: the model's own settings, checked when the
   * model is known (build_endpoints) */
  entry_list endpoint_settings;
  setting endpoints[N_ENDPOINT_KEYS];
  setting trajectories;
  setting rule; /* [tocilizumab] rule */
  setting rule_settings[N_RULE_KEYS];
  setting n_ext;
  setting dose_per_kg, dose_cap; /* [dosing] */
  setting vein_to_vein, dropout_factor, dropout_hazard; /* [dosing]: the wait before infusion */
  setting costs[N_COST_KEYS];                             /* [cost] */
  setting patients_file;         /* [patients] file */
  /* [arm NAME] sections, in the order of their first header; the arm whose section is being
   * read (NULL outside one) */
  struct arm_spec *arms;
  size_t n_arms;
  struct arm_spec *arm;
} loader;

/* An [arm NAME] section (cart-scenario(5), ARMS): its keys SECTION.KEY are read by the rows of
 * [SECTION] into a loader of the arm's own, which pass 2 lays over the base's (merge_arm). */
typedef struct arm_spec {
  char *name;
  int line;       /* its first header */
  char *label;    /* label = TEXT, or NULL */
  int label_line;
  loader *keys;   /* the arm's [dosing], [tocilizumab] and [parameters] keys */
  int *lines;     /* the lines of its keys, to tell the arm's errors from the base's */
  size_t n_lines, lines_capacity;
} arm_spec;

/* Records the first error: "SOURCE:LINE: message" ("SOURCE: message" for line 0). Returns 0 so
 * that a libinih handler can return it. */
static int fail(loader *ld, int code, int line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(loader *ld, int code, int line, const char *format, ...)
{
  if (ld->failed) {
    return 0;
  }
  ld->failed = 1;
  ld->error_line = line;
  va_list args;
  va_start(args, format);
  cartp_verror_at(&ld->error, code, ld->source, line, format, args);
  va_end(args);
  return 0;
}

static int out_of_memory(loader *ld)
{
  return fail(ld, CART_ENOMEM, 0, "out of memory");
}

static char *copy_string(const char *text, size_t length)
{
  char *copy = malloc(length + 1);
  if (copy != NULL) {
    memcpy(copy, text, length);
    copy[length] = '\0';
  }
  return copy;
}

/* Makes room for one more entry and returns it (zeroed), or NULL. */
static entry *entry_add(entry_list *list)
{
  if (list->count == list->capacity) {
    const size_t wanted = list->capacity ? 2 * list->capacity : 16;
    entry *grown = realloc(list->items, wanted * sizeof *grown);
    if (grown == NULL) {
      return NULL;
    }
    list->items = grown;
    list->capacity = wanted;
  }
  entry *e = &list->items[list->count++];
  memset(e, 0, sizeof *e);
  return e;
}

static void entry_list_clear(entry_list *list)
{
  for (size_t i = 0; i < list->count; i++) {
    free(list->items[i].name);
    free(list->items[i].name2);
  }
  free(list->items);
}

/* The entry of `list` named `name` (and `name2`, either order, when given), or NULL. */
static const entry *entry_find(const entry_list *list, const char *name, const char *name2)
{
  for (size_t i = 0; i < list->count; i++) {
    const entry *e = &list->items[i];
    if (name2 == NULL ? strcmp(e->name, name) == 0
                      : (strcmp(e->name, name) == 0 && strcmp(e->name2, name2) == 0) ||
                            (strcmp(e->name, name2) == 0 && strcmp(e->name2, name) == 0)) {
      return e;
    }
  }
  return NULL;
}

/* ---- values ---- */

/* A whole string as an unsigned 64-bit decimal integer (digits only, no sign): 0 or -1. */
static int parse_u64(const char *text, uint64_t *value)
{
  if (!isdigit((unsigned char)text[0])) {
    return -1;
  }
  char *end = NULL;
  errno = 0;
  const unsigned long long v = strtoull(text, &end, 10);
  if (*end != '\0' || errno == ERANGE || v > UINT64_MAX) {
    return -1;
  }
  *value = (uint64_t)v;
  return 0;
}

/* The value of [section] key as a finite double; records the error and returns -1 if not. */
static int finite_value(loader *ld, const char *section, const char *key, const char *text,
                        double *value)
{
  const int parsed = cartp_parse_double(text, value) == 0;
  if (parsed && isfinite(*value)) {
    return 0;
  }
  fail(ld, CART_EPARSE, ld->line, "[%s] %s: '%s' is not a %snumber", section, key, text,
       parsed ? "finite " : "");
  return -1;
}

/* ---- pass 1: libinih's reader and handler ---- */

static int find_section(const char *name, size_t length)
{
  for (int s = 0; s < N_SECTIONS; s++) {
    if (strlen(section_names[s]) == length && strncmp(section_names[s], name, length) == 0) {
      return s;
    }
  }
  return -1;
}

/* [arm NAME] (the text between "[arm" and "]"): the arm, found by name or added, becomes the
 * one whose keys the next lines give. The name's form is checked by cart_arms_add in pass 2. */
static void open_arm(loader *ld, const char *start, const char *end)
{
  cartp_trim(&start, &end);
  if (start == end) {
    fail(ld, CART_EPARSE, ld->line, "[arm] needs a name: [arm NAME] (e.g. [arm high_dose])");
    return;
  }
  const size_t length = (size_t)(end - start);
  for (size_t a = 0; a < ld->n_arms; a++) {
    if (strlen(ld->arms[a].name) == length && strncmp(ld->arms[a].name, start, length) == 0) {
      ld->arm = &ld->arms[a]; /* a repeated section goes on with the same arm */
      return;
    }
  }
  arm_spec *grown = realloc(ld->arms, (ld->n_arms + 1) * sizeof *grown);
  if (grown == NULL) {
    out_of_memory(ld);
    return;
  }
  ld->arms = grown;
  arm_spec *arm = &ld->arms[ld->n_arms];
  memset(arm, 0, sizeof *arm);
  arm->line = ld->line;
  arm->name = copy_string(start, length);
  arm->keys = calloc(1, sizeof *arm->keys);
  ld->n_arms++; /* counted at once: loader_clear frees what was made */
  if (arm->name == NULL || arm->keys == NULL) {
    out_of_memory(ld);
    return;
  }
  arm->keys->source = ld->source;
  ld->arm = arm;
}

/* libinih's fgets-like reader: the next line of the text, without its leading blanks. */
static char *read_line(char *buffer, int size, void *stream)
{
  loader *ld = stream;
  if (ld->failed || *ld->position == '\0') {
    return NULL; /* stop at the first error: later lines cannot matter */
  }
  const char *start = ld->position;
  const char *newline = strchr(start, '\n');
  size_t length = newline ? (size_t)(newline - start) : strlen(start);
  ld->position = newline ? newline + 1 : start + length;
  ld->line++;
  if (ld->line == 1 && length >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
    start += 3; /* a UTF-8 byte order mark */
    length -= 3;
  }
  while (length > 0 && (*start == ' ' || *start == '\t')) {
    start++;
    length--;
  }
  if (length >= (size_t)size) {
    fail(ld, CART_EPARSE, ld->line, "line longer than %d characters", size - 1);
    buffer[0] = '\0';
    return buffer;
  }
  memcpy(buffer, start, length);
  buffer[length] = '\0';
  if (buffer[0] == '[') {
    /* A section header (libinih reports one without ']'). Checked here, not in on_entry, so
     * that an unknown section without keys is an error too. */
    ld->section_line = ld->line;
    ld->arm = NULL;
    const char *close = strchr(buffer, ']');
    if (close != NULL) {
      const size_t name_length = (size_t)(close - buffer - 1);
      const int is_arm = name_length >= 3 && strncmp(buffer + 1, "arm", 3) == 0 &&
                         (name_length == 3 || cartp_is_blank(buffer[4]));
      const int s = is_arm ? N_SECTIONS : find_section(buffer + 1, name_length);
      const char *rest = close + 1;
      while (cartp_is_blank(*rest)) {
        rest++;
      }
      if (*rest != '\0' && *rest != ';' && *rest != '#') {
        /* libinih would drop it silently */
        fail(ld, CART_EPARSE, ld->line, "text after the section header: '%s'", rest);
      } else if (is_arm) {
        open_arm(ld, buffer + 4, close);
      } else if (s < 0) {
        fail(ld, CART_EPARSE, ld->line,
             "unknown section [%.*s] (sections: trial, times, solver, parameters, variability, "
             "correlation, dosing, tocilizumab, events, endpoints, outputs, patients, cost, "
             "arm NAME)",
             (int)name_length, buffer + 1);
      } else if (s == SECTION_TRIAL && ld->trial_line == 0) {
        ld->trial_line = ld->line;
      }
    }
  }
  return buffer;
}

static int given_twice(loader *ld, const char *section, const char *key, int first_line)
{
  return fail(ld, CART_EPARSE, ld->line, "[%s] %s: given twice (first at line %d)", section, key,
              first_line);
}

/* ---- the key table ---- */

struct key_row;
typedef void key_reader(loader *ld, const struct key_row *row, const char *key, const char *value);

/* One key of a section: how its value is read, where it goes and which values it takes (FFTW's
 * "favor a table"; the values' own rules stay with the library functions that pass 2 calls). */
typedef struct key_row {
  enum section section;
  const char *key;    /* NULL: any key (a parameter's name); ending in '.': a prefix (atol.) */
  key_reader *read;   /* reads the value into the loader */
  size_t target;      /* offsetof the setting in the loader (single keys) */
  double lower, upper; /* the values taken (a count's too), lower excluded when lower_open */
  int lower_open;
  int range_code;     /* the status of a value outside them */
  const char *note;   /* said after a value outside them */
  int hours;          /* the value is in hours: pass 2 gives the library cart_days_from_hours */
} key_row;

static key_reader read_name, read_text, read_number, read_count, read_method, read_on_off,
    read_time_list, read_atol, read_named_number, read_correlation, read_dose;

#define AT(field) offsetof(loader, field)
#define ANY -INFINITY, INFINITY, 0, 0, NULL
#define ABOVE(bound) (bound), INFINITY, 1, CART_ERANGE, NULL
#define AT_LEAST(bound) (bound), INFINITY, 0, CART_ERANGE, NULL

static const key_row key_table[] = {
    {SECTION_TRIAL, "model", read_name, AT(model), ANY, 0},
    {SECTION_TRIAL, "n_patients", read_count, AT(n_patients), 1, (double)SIZE_MAX, 0, CART_ERANGE,
     NULL, 0},
    {SECTION_TRIAL, "seed", read_count, AT(seed), 0, (double)UINT64_MAX, 0, 0, NULL, 0},
    {SECTION_TIMES, "horizon", read_number, AT(horizon), ANY, 0},
    {SECTION_TIMES, "step", read_number, AT(step), ANY, 0},
    {SECTION_TIMES, "early_step", read_number, AT(early_step), ANY, 0},
    {SECTION_TIMES, "early_until", read_number, AT(early_until), ANY, 0},
    {SECTION_TIMES, "list", read_time_list, 0, ANY, 0},
    {SECTION_SOLVER, "method", read_method, AT(method), ANY, 0},
    {SECTION_SOLVER, "rtol", read_number, AT(rtol), 0, CART_RTOL_MAX, 1, CART_ERANGE, NULL, 0},
    {SECTION_SOLVER, "atol.", read_atol, 0, ABOVE(0), 0},
    {SECTION_SOLVER, "max_steps", read_count, AT(max_steps), 1, (double)ULONG_MAX, 0, CART_ERANGE,
     NULL, 0},
    {SECTION_PARAMETERS, NULL, read_named_number, 0, ANY, 0},
    {SECTION_VARIABILITY, NULL, read_named_number, 0, ANY, 0},
    {SECTION_CORRELATION, NULL, read_correlation, 0, ANY, 0},
    {SECTION_DOSING, "cart", read_dose, 0, ANY, 0},
    {SECTION_DOSING, "toci", read_dose, 0, ANY, 0},
    {SECTION_DOSING, "dose_per_kg", read_number, AT(dose_per_kg), ABOVE(0), 0},
    {SECTION_DOSING, "dose_cap", read_number, AT(dose_cap), ABOVE(0), 0},
    {SECTION_DOSING, "vein_to_vein_days", read_number, AT(vein_to_vein), AT_LEAST(0), 0},
    {SECTION_DOSING, "dropout_tumour_factor", read_number, AT(dropout_factor), ABOVE(0), 0},
    {SECTION_DOSING, "dropout_hazard_per_day", read_number, AT(dropout_hazard), AT_LEAST(0), 0},
    {SECTION_COST, "product", read_number, AT(costs[COST_PRODUCT]), AT_LEAST(0), 0},
    {SECTION_COST, "toci_dose", read_number, AT(costs[COST_TOCI_DOSE]), AT_LEAST(0), 0},
    {SECTION_COST, "hospital_day", read_number, AT(costs[COST_HOSPITAL_DAY]), AT_LEAST(0), 0},
    {SECTION_COST, "los_days_g0", read_number, AT(costs[COST_LOS_G0]), AT_LEAST(0), 0},
    {SECTION_COST, "los_days_g1", read_number, AT(costs[COST_LOS_G0 + 1]), AT_LEAST(0), 0},
    {SECTION_COST, "los_days_g2", read_number, AT(costs[COST_LOS_G0 + 2]), AT_LEAST(0), 0},
    {SECTION_COST, "los_days_g3", read_number, AT(costs[COST_LOS_G0 + 3]), AT_LEAST(0), 0},
    {SECTION_COST, "los_days_g4", read_number, AT(costs[COST_LOS_G0 + 4]), AT_LEAST(0), 0},
    {SECTION_PATIENTS, "file", read_text, AT(patients_file), ANY, 0},
    {SECTION_ENDPOINTS, "n_detect", read_number, AT(endpoints[ENDPOINT_N_DETECT]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "t_resp", read_number, AT(endpoints[ENDPOINT_T_RESP]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "f_aplasia", read_number, AT(endpoints[ENDPOINT_F_APLASIA]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "crs_g1", read_number, AT(endpoints[ENDPOINT_CRS_G1]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "crs_g2", read_number, AT(endpoints[ENDPOINT_CRS_G1 + 1]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "crs_g3", read_number, AT(endpoints[ENDPOINT_CRS_G1 + 2]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "crs_g4", read_number, AT(endpoints[ENDPOINT_CRS_G1 + 3]), ABOVE(0), 0},
    {SECTION_ENDPOINTS, "auc_end", read_number, AT(endpoints[ENDPOINT_AUC_END]), ABOVE(0), 0},
    /* any other key: a setting of the model's own (after the named rows: find_key takes the
     * first row that matches) */
    {SECTION_ENDPOINTS, NULL, read_named_number, 0, ANY, 0},
    {SECTION_OUTPUTS, "trajectories", read_text, AT(trajectories), ANY, 0},
    /* the rule's settings are checked by cart_dosing_set_toci_rule (build_toci_rule); max_doses
     * here too, so that a huge count need not fit an int */
    {SECTION_TOCILIZUMAB, "rule", read_on_off, AT(rule), ANY, 0},
    {SECTION_TOCILIZUMAB, "trigger", read_number, AT(rule_settings[RULE_TRIGGER]), ANY, 0},
    {SECTION_TOCILIZUMAB, "interval_h", read_number, AT(rule_settings[RULE_INTERVAL_H]), ANY, 1},
    {SECTION_TOCILIZUMAB, "max_doses", read_count, AT(rule_settings[RULE_MAX_DOSES]), 1,
     CART_TOCI_RULE_MAX_DOSES, 0, CART_EDOSE, NULL, 0},
    {SECTION_TOCILIZUMAB, "mg_per_kg", read_number, AT(rule_settings[RULE_MG_PER_KG]), ANY, 0},
    {SECTION_TOCILIZUMAB, "cap_mg", read_number, AT(rule_settings[RULE_CAP_MG]), ANY, 0},
    {SECTION_TOCILIZUMAB, "infusion_h", read_number, AT(rule_settings[RULE_INFUSION_H]), ANY, 1},
    {SECTION_TOCILIZUMAB, "delay_h", read_number, AT(rule_settings[RULE_DELAY_H]), ANY, 1},
    {SECTION_EVENTS, "n_ext", read_number, AT(n_ext), 0, INFINITY, 0, CART_ERANGE,
     " (0 turns extinction off)", 0},
};

#undef AT
#undef ANY
#undef ABOVE
#undef AT_LEAST

enum { N_KEY_ROWS = sizeof key_table / sizeof key_table[0] };

static setting *target_of(loader *ld, const key_row *row)
{
  return (setting *)((char *)ld + row->target);
}

/* The row of [section] key, or NULL. */
static const key_row *find_key(int section, const char *key)
{
  for (size_t r = 0; r < N_KEY_ROWS; r++) {
    const key_row *row = &key_table[r];
    if ((int)row->section != section) {
      continue;
    }
    if (row->key == NULL) {
      return row;
    }
    const size_t length = strlen(row->key);
    if (row->key[length - 1] == '.' ? strncmp(key, row->key, length) == 0 && key[length] != '\0'
                                    : strcmp(key, row->key) == 0) {
      return row;
    }
  }
  return NULL;
}

/* The row whose setting is at `target` in the loader (for its key's name in messages). */
static const key_row *row_at(size_t target)
{
  for (size_t r = 0; r < N_KEY_ROWS; r++) {
    if (key_table[r].target == target && key_table[r].read != read_time_list) {
      return &key_table[r];
    }
  }
  return NULL;
}

static int unknown_key(loader *ld, int s, const char *key)
{
  char keys[256] = "";
  for (size_t r = 0; r < N_KEY_ROWS; r++) {
    const key_row *row = &key_table[r];
    if ((int)row->section == s && row->key != NULL) {
      const size_t used = strlen(keys);
      snprintf(keys + used, sizeof keys - used, "%s%s%s", used ? ", " : "", row->key,
               row->key[strlen(row->key) - 1] == '.' ? "STATE" : "");
    }
  }
  return fail(ld, CART_EPARSE, ld->line, "[%s] unknown key '%s' (keys: %s)", section_names[s],
              key, keys);
}

/* The setting of a key given once, or NULL (then reported) when it was given before. */
static setting *first_time(loader *ld, const key_row *row, const char *key)
{
  setting *target = target_of(ld, row);
  if (target->line) {
    given_twice(ld, section_names[row->section], key, target->line);
    return NULL;
  }
  return target;
}

/* Records the setting as given at this line. */
static void given(loader *ld, setting *target)
{
  target->line = ld->line;
}

/* Whether v is within the row's values; records the error if not. */
static int in_range(loader *ld, const key_row *row, const char *key, double v, const char *text)
{
  if (row->lower_open ? v > row->lower : v >= row->lower) {
    if (v <= row->upper) {
      return 1;
    }
  }
  const char *section = section_names[row->section];
  if (text != NULL) { /* a count */
    if (row->upper >= (double)UINT64_MAX) {
      fail(ld, row->range_code, ld->line, "[%s] %s: %s must be at least %.0f", section, key, text,
           row->lower);
    } else {
      fail(ld, row->range_code, ld->line, "[%s] %s: %s is outside %.0f..%.0f", section, key, text,
           row->lower, row->upper);
    }
  } else if (isinf(row->upper)) {
    fail(ld, row->range_code, ld->line, "[%s] %s: %g must be %s %g%s", section, key, v,
         row->lower_open ? ">" : ">=", row->lower, row->note ? row->note : "");
  } else {
    fail(ld, row->range_code, ld->line, "[%s] %s: %g must be in %c%g, %g]%s", section, key, v,
         row->lower_open ? '(' : '[', row->lower, row->upper, row->note ? row->note : "");
  }
  return 0;
}

/* Any text, empty too ([outputs] trajectories: empty keeps none). */
static void read_text(loader *ld, const key_row *row, const char *key, const char *value)
{
  setting *target = first_time(ld, row, key);
  if (target == NULL) {
    return;
  }
  if ((target->text = copy_string(value, strlen(value))) == NULL) {
    out_of_memory(ld);
  } else {
    given(ld, target);
  }
}

/* A name that must not be empty ([trial] model). */
static void read_name(loader *ld, const key_row *row, const char *key, const char *value)
{
  if (*value == '\0' && target_of(ld, row)->line == 0) {
    fail(ld, CART_EPARSE, ld->line, "[%s] %s: empty (e.g. model = cart)",
         section_names[row->section], key);
  } else {
    read_text(ld, row, key, value);
  }
}

/* A finite number within the row's values. */
static void read_number(loader *ld, const key_row *row, const char *key, const char *value)
{
  setting *target = first_time(ld, row, key);
  double v;
  if (target != NULL && finite_value(ld, section_names[row->section], key, value, &v) == 0 &&
      in_range(ld, row, key, v, NULL)) {
    target->number = v;
    given(ld, target);
  }
}

/* An unsigned 64-bit decimal integer within the row's values. */
static void read_count(loader *ld, const key_row *row, const char *key, const char *value)
{
  setting *target = first_time(ld, row, key);
  uint64_t v;
  if (target == NULL) {
    return;
  }
  if (parse_u64(value, &v) != 0) {
    fail(ld, CART_EPARSE, ld->line, "[%s] %s: '%s' is not an unsigned 64-bit integer",
         section_names[row->section], key, value);
  } else if (in_range(ld, row, key, (double)v, value)) {
    target->count = v;
    target->number = (double)v;
    given(ld, target);
  }
}

static void read_method(loader *ld, const key_row *row, const char *key, const char *value)
{
  setting *target = first_time(ld, row, key);
  cart_method method;
  if (target == NULL) {
    return;
  }
  if (cart_method_from_name(value, &method) != CART_OK) {
    fail(ld, CART_EPARSE, ld->line, "[%s] %s: '%s' is not rodas5p, gsl-bdf (bdf) or rk8pd",
         section_names[row->section], key, value);
  } else {
    target->count = (uint64_t)method;
    given(ld, target);
  }
}

static void read_on_off(loader *ld, const key_row *row, const char *key, const char *value)
{
  setting *target = first_time(ld, row, key);
  if (target == NULL) {
    return;
  }
  if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
    fail(ld, CART_EPARSE, ld->line, "[%s] %s: '%s' is not on or off", section_names[row->section],
         key, value);
  } else {
    target->count = value[1] == 'n';
    given(ld, target);
  }
}

/* [times] list = T1, T2, ... (cart_parse_time_list). */
static void read_time_list(loader *ld, const key_row *row, const char *key, const char *value)
{
  (void)row;
  (void)key;
    /* Repeated `list` keys join: a long list may be split over lines (libinih reads lines of
     * at most 199 characters). */
    size_t count = 0;
    cart_error error;
    if (cart_parse_time_list(value, NULL, 0, &count, &error) != CART_OK) {
      fail(ld, error.code, ld->line, "[times] list: %s", error.message);
      return;
    }
    if (ld->n_times + count > ld->times_capacity) {
      const size_t wanted = 2 * (ld->n_times + count);
      double *times = realloc(ld->times, wanted * sizeof *times);
      if (times == NULL) {
        out_of_memory(ld);
        return;
      }
      ld->times = times;
      int *lines = realloc(ld->time_lines, wanted * sizeof *lines);
      if (lines == NULL) {
        out_of_memory(ld);
        return;
      }
      ld->time_lines = lines;
      ld->times_capacity = wanted;
    }
    cart_parse_time_list(value, ld->times + ld->n_times, count, &count, NULL);
    const size_t n = count;
    for (size_t i = 0; i < n; i++) {
      ld->time_lines[ld->n_times + i] = ld->line;
    }
    ld->n_times += n;
    if (ld->list_line == 0) {
      ld->list_line = ld->line;
    }
}

/* [solver] atol.STATE = a number > 0. */
static void read_atol(loader *ld, const key_row *row, const char *key, const char *value)
{
    const entry *first = entry_find(&ld->atol, key + 5, NULL);
    double v;
    if (first != NULL) {
      given_twice(ld, "solver", key, first->line);
    } else if (finite_value(ld, "solver", key, value, &v) == 0 &&
               in_range(ld, row, key, v, NULL)) {
      entry *e = NULL;
      if ((e = entry_add(&ld->atol)) == NULL ||
                 (e->name = copy_string(key + 5, strlen(key + 5))) == NULL) {
        out_of_memory(ld);
      } else {
        e->value = v;
        e->line = ld->line;
      }
    }
}

/* [parameters], [variability] and a model's own [endpoints] settings: NAME = number. Parameter
 * values may be NaN or inf here, so that cart_params_set reports CART_ENOTFINITE with its own
 * message. */
static void read_named_number(loader *ld, const key_row *row, const char *key,
                              const char *value)
{
  const int s = (int)row->section;
  entry_list *list = s == SECTION_PARAMETERS  ? &ld->parameters
                     : s == SECTION_ENDPOINTS ? &ld->endpoint_settings
                                              : &ld->variability;
  const entry *first = entry_find(list, key, NULL);
  double v;
  if (first != NULL) {
    given_twice(ld, section_names[s], key, first->line);
    return;
  }
  if (s == SECTION_PARAMETERS && cartp_parse_double(value, &v) != 0) {
    fail(ld, CART_EPARSE, ld->line, "[parameters] %s: '%s' is not a number", key, value);
    return;
  }
  if (s != SECTION_PARAMETERS && finite_value(ld, section_names[s], key, value, &v) != 0) {
    return;
  }
  entry *e = entry_add(list);
  if (e == NULL || (e->name = copy_string(key, strlen(key))) == NULL) {
    out_of_memory(ld);
    return;
  }
  e->value = v;
  e->line = ld->line;
}

/* [correlation] NAME1, NAME2 = R. */
static void read_correlation(loader *ld, const key_row *row, const char *key,
                             const char *value)
{
  (void)row;
  const char *comma = strchr(key, ',');
  if (comma == NULL || strchr(comma + 1, ',') != NULL) {
    fail(ld, CART_EPARSE, ld->line,
         "[correlation] '%s': expected two parameter names separated by a comma (rho, gamma = "
         "0.5)",
         key);
    return;
  }
  const char *a = key, *a_end = comma, *b = comma + 1, *b_end = key + strlen(key);
  cartp_trim(&a, &a_end);
  cartp_trim(&b, &b_end);
  if (a == a_end || b == b_end) {
    fail(ld, CART_EPARSE, ld->line, "[correlation] '%s': a parameter name is empty", key);
    return;
  }
  char *name = copy_string(a, (size_t)(a_end - a));
  char *name2 = copy_string(b, (size_t)(b_end - b));
  entry *e = NULL;
  double r;
  const entry *first = name && name2 ? entry_find(&ld->correlation, name, name2) : NULL;
  if (name == NULL || name2 == NULL) {
    out_of_memory(ld);
  } else if (first != NULL) {
    given_twice(ld, "correlation", key, first->line);
  } else if (finite_value(ld, "correlation", key, value, &r) != 0) {
    /* recorded */
  } else if ((e = entry_add(&ld->correlation)) == NULL) {
    out_of_memory(ld);
  } else {
    e->name = name;
    e->name2 = name2;
    e->value = r;
    e->line = ld->line;
    return;
  }
  free(name);
  free(name2);
}

/* [dosing] cart = TIME:CELLS[:FMEM], toci = TIME:MG_PER_KG[:HOURS[:CAP_MG]], read by
 * cart_parse_cart_dose and cart_parse_toci_dose as the cart command's --dose and --toci are. */
static void read_dose(loader *ld, const key_row *row, const char *key, const char *value)
{
  (void)row;
  const int is_cart = strcmp(key, "cart") == 0;
  cart_cart_dose cart_dose;
  cart_toci_dose toci_dose;
  cart_error error;
  const int status = is_cart ? cart_parse_cart_dose(value, &cart_dose, &error)
                             : cart_parse_toci_dose(value, &toci_dose, &error);
  if (status != CART_OK) {
    fail(ld, status, ld->line, "[dosing] %s = %s: %s", key, value, error.message);
    return;
  }
  entry *e = entry_add(is_cart ? &ld->cart_doses : &ld->toci_doses);
  if (e == NULL) {
    out_of_memory(ld);
    return;
  }
  if (is_cart) {
    e->cart_dose = cart_dose;
  } else {
    e->toci_dose = toci_dose;
  }
  e->line = ld->line;
}

/* The message of an error of this scenario without its "SOURCE:LINE: " (or "SOURCE: "). */
static const char *message_body(const loader *ld, const cart_error *error, int line)
{
  /* "SOURCE:LINE: " (or "SOURCE: "), compared piece by piece: a source path of any length */
  const char *m = error->message;
  const size_t n = strlen(ld->source);
  if (strncmp(m, ld->source, n) != 0 || m[n] != ':') {
    return error->message;
  }
  m += n + 1;
  if (line > 0) {
    char number[24];
    const int digits = snprintf(number, sizeof number, "%d:", line);
    if (strncmp(m, number, (size_t)digits) != 0) {
      return error->message;
    }
    m += digits;
  }
  return m[0] == ' ' ? m + 1 : error->message;
}

/* The sections whose keys an arm may give, as SECTION.KEY. */
static const enum section arm_sections[] = {SECTION_DOSING, SECTION_TOCILIZUMAB,
                                            SECTION_PARAMETERS, SECTION_COST};

/* One "key = value" of an [arm NAME] section: label = TEXT, or SECTION.KEY = VALUE read by the
 * row of [SECTION] KEY into the arm's own loader; an error is reported as "[arm NAME] " and the
 * message the base's key would get. */
static void arm_entry(loader *ld, arm_spec *arm, const char *key, const char *value)
{
  if (arm->n_lines == arm->lines_capacity) {
    const size_t wanted = arm->lines_capacity ? 2 * arm->lines_capacity : 16;
    int *lines = realloc(arm->lines, wanted * sizeof *lines);
    if (lines == NULL) {
      out_of_memory(ld);
      return;
    }
    arm->lines = lines;
    arm->lines_capacity = wanted;
  }
  arm->lines[arm->n_lines++] = ld->line;
  if (key[0] == '\0') {
    fail(ld, CART_EPARSE, ld->line, "[arm %s] a key is missing before '='", arm->name);
    return;
  }
  if (strcmp(key, "label") == 0) {
    if (arm->label_line) {
      fail(ld, CART_EPARSE, ld->line, "[arm %s] label: given twice (first at line %d)",
           arm->name, arm->label_line);
    } else if ((arm->label = copy_string(value, strlen(value))) == NULL) {
      out_of_memory(ld);
    } else {
      arm->label_line = ld->line;
    }
    return;
  }
  const char *dot = strchr(key, '.');
  int s = -1;
  for (size_t i = 0; dot != NULL && i < sizeof arm_sections / sizeof *arm_sections; i++) {
    const char *name = section_names[arm_sections[i]];
    if (strlen(name) == (size_t)(dot - key) && strncmp(key, name, (size_t)(dot - key)) == 0) {
      s = (int)arm_sections[i];
    }
  }
  const key_row *row = s >= 0 && dot[1] != '\0' ? find_key(s, dot + 1) : NULL;
  if (row == NULL) {
    fail(ld, CART_EPARSE, ld->line,
         "[arm %s] unknown key '%s' (keys: label, dosing.KEY, tocilizumab.KEY, "
         "parameters.NAME, cost.KEY, with the keys of those sections)",
         arm->name, key);
    return;
  }
  loader *keys = arm->keys;
  keys->line = ld->line;
  row->read(keys, row, dot + 1, value);
  if (keys->failed) {
    fail(ld, keys->error.code, ld->line, "[arm %s] %s", arm->name,
         message_body(ld, &keys->error, ld->line));
  }
}

/* libinih's handler: one "key = value" of the line read last. Returns 1 (go on) except when out
 * of memory; our own errors are in ld. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
  loader *ld = user;
  if (ld->failed) {
    return 1;
  }
  if (ld->arm != NULL) {
    arm_entry(ld, ld->arm, key, value);
    return !(ld->failed && ld->error.code == CART_ENOMEM);
  }
  const int s = find_section(section, strlen(section));
  const key_row *row = s >= 0 && key[0] != '\0' ? find_key(s, key) : NULL;
  if (section[0] == '\0') {
    fail(ld, CART_EPARSE, ld->line, "key '%s' before any [section]", key);
  } else if (s < 0) {
    fail(ld, CART_EPARSE, ld->section_line, "unknown section [%s]", section);
  } else if (key[0] == '\0') {
    fail(ld, CART_EPARSE, ld->line, "[%s] a key is missing before '='", section);
  } else if (row == NULL) {
    unknown_key(ld, s, key);
  } else {
    row->read(ld, row, key, value);
  }
  return !(ld->failed && ld->error.code == CART_ENOMEM);
}

/* ---- pass 2: building the trial ---- */

/* Records `code` with "[section] key: " (key may be NULL) and a library message, at `line`. */
static int fail_library(loader *ld, int code, int line, const char *section, const char *key,
                        const cart_error *library)
{
  fail(ld, code, line, "[%s] %s%s%s", section, key ? key : "", key ? ": " : "",
       library && library->message[0] ? library->message : cart_strerror(code));
  return code;
}

static int build_times(loader *ld, cart_trial *trial)
{
  double *times = NULL;
  size_t n = 0;
  if (ld->list_line) {
    const setting *grid[] = {&ld->step, &ld->horizon, &ld->early_step, &ld->early_until};
    static const char *const grid_names[] = {"step", "horizon", "early_step", "early_until"};
    for (size_t g = 0; g < 4; g++) {
      const int clash = grid[g]->line;
      if (clash) {
        const int later = clash > ld->list_line ? clash : ld->list_line;
        fail(ld, CART_EPARSE, later,
             "[times] list conflicts with %s (line %d): give a list, or horizon and step",
             grid_names[g], later == clash ? ld->list_line : clash);
        return CART_EPARSE;
      }
    }
    for (size_t k = 0; k < ld->n_times; k++) {
      if (ld->times[k] < 0) {
        fail(ld, CART_ETIMES, ld->time_lines[k], "[times] list: time %g is negative",
             ld->times[k]);
        return CART_ETIMES;
      }
      if (k > 0 && ld->times[k] < ld->times[k - 1]) {
        fail(ld, CART_ETIMES, ld->time_lines[k],
             "[times] list: time %g comes after %g (times must not decrease)", ld->times[k],
             ld->times[k - 1]);
        return CART_ETIMES;
      }
    }
    n = ld->n_times;
  } else {
    const double horizon = ld->horizon.line ? ld->horizon.number : 365.0;
    const double step = ld->step.line ? ld->step.number : 7.0;
    if (horizon < 0) {
      fail(ld, CART_ETIMES, ld->horizon.line, "[times] horizon: %g is negative", horizon);
      return CART_ETIMES;
    }
    if (!(step > 0)) {
      fail(ld, CART_ETIMES, ld->step.line, "[times] step: %g must be > 0", step);
      return CART_ETIMES;
    }
    if (horizon / step > CART_MAX_OUTPUT_TIMES) {
      fail(ld, CART_ETIMES, ld->step.line ? ld->step.line : ld->horizon.line,
           "[times] horizon %g / step %g gives more than %d output times", horizon, step,
           CART_MAX_OUTPUT_TIMES);
      return CART_ETIMES;
    }
    /* An early, finer grid (CRS and the expansion are over in weeks): 0, early_step, ... up to
     * early_until, then on with `step` from there. Both keys or neither. */
    double early_step = 0.0, early_until = 0.0;
    if (ld->early_step.line || ld->early_until.line) {
      if (!ld->early_step.line || !ld->early_until.line) {
        fail(ld, CART_EPARSE, ld->early_step.line ? ld->early_step.line : ld->early_until.line,
             "[times] early_step and early_until go together: give both or neither");
        return CART_EPARSE;
      }
      early_step = ld->early_step.number;
      early_until = ld->early_until.number;
      if (!(early_step > 0)) {
        fail(ld, CART_ETIMES, ld->early_step.line, "[times] early_step: %g must be > 0",
             early_step);
        return CART_ETIMES;
      }
      if (!(early_until > 0 && early_until <= horizon)) {
        fail(ld, CART_ETIMES, ld->early_until.line,
             "[times] early_until: %g must be > 0 and at most the horizon %g", early_until,
             horizon);
        return CART_ETIMES;
      }
      if (early_until / early_step > CART_MAX_OUTPUT_TIMES) {
        fail(ld, CART_ETIMES, ld->early_step.line,
             "[times] early_until %g / early_step %g gives more than %d output times",
             early_until, early_step, CART_MAX_OUTPUT_TIMES);
        return CART_ETIMES;
      }
    }
    /* 0, early_step, ..., the last k early_step <= early_until, then early_until + k step for
     * as long as <= horizon (each grid's end within rounding taken exactly), then horizon if it
     * was not reached. */
    const size_t early = early_step > 0 ? (size_t)floor(early_until / early_step * (1 + 1e-12))
                                        : 0;
    const size_t late = (size_t)floor((horizon - early_until) / step * (1 + 1e-12));
    times = malloc((early + late + 3) * sizeof *times);
    if (times == NULL) {
      out_of_memory(ld);
      return CART_ENOMEM;
    }
    for (size_t k = 0; k <= early && early_step > 0; k++) {
      times[n++] = (double)k * early_step;
    }
    if (n > 0 && fabs(times[n - 1] - early_until) <= 1e-9 * (1 + early_until)) {
      times[n - 1] = early_until;
    } else if (n > 0) {
      times[n++] = early_until;
    }
    for (size_t k = n > 0 ? 1 : 0; k <= late; k++) {
      times[n++] = early_until + (double)k * step;
    }
    if (fabs(times[n - 1] - horizon) <= 1e-9 * (1 + horizon)) {
      times[n - 1] = horizon;
    } else {
      times[n++] = horizon;
    }
  }
  const int status = cart_trial_set_times(trial, times ? times : ld->times, n);
  free(times);
  if (status != CART_OK) {
    const int line = ld->list_line     ? ld->list_line
                     : ld->step.line   ? ld->step.line
                     : ld->early_step.line ? ld->early_step.line
                                           : ld->horizon.line;
    return fail_library(ld, status, line, "times", NULL, cart_trial_last_error(trial));
  }
  return CART_OK;
}

static int build_solver(loader *ld, cart_trial *trial)
{
  const cart_model *model = cart_trial_model(trial);
  const size_t n_states = cart_model_n_states(model);
  double *atol = NULL;
  if (ld->atol.count > 0) {
    atol = malloc(n_states * sizeof *atol);
    if (atol == NULL) {
      out_of_memory(ld);
      return CART_ENOMEM;
    }
    for (size_t i = 0; i < n_states; i++) {
      cart_state_info info;
      cart_model_state_info(model, i, &info);
      atol[i] = info.abs_tol;
    }
    for (size_t j = 0; j < ld->atol.count; j++) {
      const entry *e = &ld->atol.items[j];
      const int i = cart_model_state_index(model, e->name);
      if (i < 0) {
        char states[160] = "";
        for (size_t k = 0; k < n_states && strlen(states) + 24 < sizeof states; k++) {
          cart_state_info info;
          cart_model_state_info(model, k, &info);
          strcat(states, k ? ", " : "");
          strcat(states, info.name);
        }
        fail(ld, CART_EUNKNOWN_PARAM, e->line,
             "[solver] atol.%s: model '%s' has no state '%s' (states: %s)", e->name,
             cart_model_name(model), e->name, states);
        free(atol);
        return CART_EUNKNOWN_PARAM;
      }
      atol[i] = e->value;
    }
  }
  const cart_method method = ld->method.line ? (cart_method)ld->method.count : CART_METHOD_DEFAULT;
  const double rtol = ld->rtol.line ? ld->rtol.number : CART_RTOL_DEFAULT;
  const unsigned long max_steps =
      ld->max_steps.line ? (unsigned long)ld->max_steps.count : CART_MAX_STEPS_DEFAULT;
  const int status = cart_trial_set_solver(trial, method, rtol, atol, max_steps);
  free(atol);
  if (status != CART_OK) {
    const int line = ld->rtol.line ? ld->rtol.line : ld->method.line;
    return fail_library(ld, status, line, "solver", NULL, cart_trial_last_error(trial));
  }
  return CART_OK;
}

static int build_parameters(loader *ld, cart_params *typical)
{
  for (size_t j = 0; j < ld->parameters.count; j++) {
    const entry *e = &ld->parameters.items[j];
    const int status = cart_params_set(typical, e->name, e->value);
    if (status != CART_OK) {
      return fail_library(ld, status, e->line, "parameters", NULL, cart_params_last_error(typical));
    }
  }
  return CART_OK;
}

/* The CAR-T dose at t = 0 is the patient's parameter `dose` (and `f_mem`) when the model has one
 * (cart_cart_dose_is_initial, MODEL.md 3; the cart command's --dose does the same); other doses
 * go to the schedule (add_schedule). Both are given by cart_dose_give_cart. */
static int build_initial_dose(loader *ld, cart_trial *trial, cart_params *typical)
{
  const cart_model *model = cart_trial_model(trial);
  int initial_line = 0;
  for (size_t j = 0; j < ld->cart_doses.count; j++) {
    const entry *e = &ld->cart_doses.items[j];
    if (!cart_cart_dose_is_initial(model, e->cart_dose.time)) {
      continue;
    }
    const int has_f_mem = !isnan(e->cart_dose.f_mem);
    const entry *set = entry_find(&ld->parameters, "dose", NULL);
    const entry *set_f = has_f_mem ? entry_find(&ld->parameters, "f_mem", NULL) : NULL;
    if (initial_line) {
      fail(ld, CART_EDOSE, e->line,
           "[dosing] cart: a CAR-T dose at t = 0 was already given (line %d)", initial_line);
      return CART_EDOSE;
    }
    if (set != NULL || set_f != NULL) {
      fail(ld, CART_EDOSE, e->line,
           "[dosing] cart: the t = 0 infusion sets the parameter %s, which [parameters] sets "
           "too (line %d); give it once",
           set ? "dose" : "f_mem", set ? set->line : set_f->line);
      return CART_EDOSE;
    }
    initial_line = e->line;
    cart_error error;
    const int status = cart_dose_give_cart(typical, cart_trial_edit_dosing(trial), &e->cart_dose,
                                           NULL, &error);
    if (status != CART_OK) {
      return fail_library(ld, status, e->line, "dosing", "cart", &error);
    }
  }
  return CART_OK;
}

/* Adds the doses of `list` (CAR-T or tocilizumab) to the schedule, then asks
 * cart_trial_prepare whether the model takes them, so that a model without doses of that kind
 * (stein) is reported at the first one. */
static int add_schedule(loader *ld, cart_trial *trial, int is_cart)
{
  const entry_list *list = is_cart ? &ld->cart_doses : &ld->toci_doses;
  cart_dosing *dosing = cart_trial_edit_dosing(trial);
  const cart_model *model = cart_trial_model(trial);
  cart_params *typical = cart_population_typical(cart_trial_edit_population(trial));
  int first_line = 0;
  for (size_t j = 0; j < list->count; j++) {
    const entry *e = &list->items[j];
    cart_error error;
    int status;
    if (is_cart) {
      if (cart_cart_dose_is_initial(model, e->cart_dose.time)) {
        continue; /* build_initial_dose */
      }
      status = cart_dose_give_cart(typical, dosing, &e->cart_dose, NULL, &error);
    } else {
      const cart_toci_dose *d = &e->toci_dose;
      status = cart_dosing_add_toci(dosing, d->time, d->mg_per_kg, d->duration_day, d->cap_mg);
      cartp_error_copy(&error, cart_dosing_last_error(dosing));
    }
    if (status != CART_OK) {
      return fail_library(ld, status, e->line, "dosing", is_cart ? "cart" : "toci", &error);
    }
    if (first_line == 0) {
      first_line = e->line;
    }
  }
  if (first_line) {
    const int status = cart_trial_prepare(trial);
    if (status != CART_OK) {
      return fail_library(ld, status, first_line, "dosing", is_cart ? "cart" : "toci",
                          cart_trial_last_error(trial));
    }
  }
  return CART_OK;
}

/* The model's rules on the typical values (cart: p0 >= 0 and the IL-6 loop gain, MODEL.md 2.2).
 * A rule involves several parameters; the line named is the latest [parameters] entry whose
 * return to its default alone would satisfy the rules, else the latest entry. */
static int check_rules(loader *ld, cart_params *typical)
{
  cart_error error;
  cart_error_clear(&error);
  const int status = cart_params_check(typical, &error);
  if (status == CART_OK) {
    return CART_OK;
  }
  const cart_model *model = cart_params_model(typical);
  const entry *blamed = ld->parameters.count ? &ld->parameters.items[ld->parameters.count - 1]
                                             : NULL;
  for (size_t j = ld->parameters.count; j-- > 0;) {
    const entry *e = &ld->parameters.items[j];
    cart_param_info info;
    cart_params *trial_set = cart_params_clone(typical, NULL);
    if (trial_set == NULL) {
      out_of_memory(ld);
      return CART_ENOMEM;
    }
    const int ok = cart_model_param_info(model, (size_t)cart_model_param_index(model, e->name),
                                         &info) == CART_OK &&
                   cart_params_set(trial_set, e->name, info.default_value) == CART_OK &&
                   cart_params_check(trial_set, NULL) == CART_OK;
    cart_params_free(trial_set);
    if (ok) {
      blamed = e;
      break;
    }
  }
  if (blamed != NULL) {
    fail(ld, status, blamed->line, "[parameters] %s: %s", blamed->name, error.message);
  } else {
    fail(ld, status, 0, "%s", error.message);
  }
  return status;
}

static int build_population(loader *ld, cart_population *population)
{
  for (size_t j = 0; j < ld->variability.count; j++) {
    const entry *e = &ld->variability.items[j];
    const int status = cart_population_set_cv(population, e->name, e->value);
    if (status != CART_OK) {
      return fail_library(ld, status, e->line, "variability", NULL,
                          cart_population_last_error(population));
    }
  }
  for (size_t j = 0; j < ld->correlation.count; j++) {
    const entry *e = &ld->correlation.items[j];
    const int status = cart_population_set_correlation(population, e->name, e->name2,
                                                       e->value);
    if (status != CART_OK) {
      return fail_library(ld, status, e->line, "correlation", NULL,
                          cart_population_last_error(population));
    }
  }
  /* A correlation matrix that is not positive definite is a property of all the entries; it
   * is reported at the last one. */
  const int status = cart_population_prepare(population);
  if (status == CART_EINVAL && cart_population_n_table_rows(population) > 0) {
    /* a column of the table that also has a cv */
    return fail_library(ld, status, ld->patients_file.line, "patients", "file",
                        cart_population_last_error(population));
  }
  if (status != CART_OK) {
    const int line = ld->correlation.count
                         ? ld->correlation.items[ld->correlation.count - 1].line
                         : 0;
    return fail_library(ld, status, line, line ? "correlation" : "variability", NULL,
                        cart_population_last_error(population));
  }
  return CART_OK;
}

/* The largest patients file read: 10 million rows of a few columns. */
#define PATIENTS_FILE_MAX_BYTES ((size_t)1 << 30)

/* [patients] file: a CSV (cart_parse_table) whose columns are parameters; a relative path is
 * taken from the scenario file's directory (from the working directory when the scenario is not
 * a file: source "<...>"). */
static int build_patients(loader *ld, cart_population *population)
{
  if (ld->patients_file.line == 0) {
    return CART_OK;
  }
  const char *file = ld->patients_file.text;
  const int line = ld->patients_file.line;
  if (file == NULL || file[0] == '\0') {
    return fail(ld, CART_EPARSE, line, "[patients] file: no path given"), CART_EPARSE;
  }
  char *path = NULL;
  const char *slash = strrchr(ld->source, '/');
  if (file[0] != '/' && ld->source[0] != '<' && slash != NULL) {
    const size_t dir = (size_t)(slash - ld->source) + 1;
    path = malloc(dir + strlen(file) + 1);
    if (path == NULL) {
      return fail(ld, CART_ENOMEM, line, "[patients] file: out of memory"), CART_ENOMEM;
    }
    memcpy(path, ld->source, dir);
    strcpy(path + dir, file);
  }
  cart_error error;
  cart_error_clear(&error);
  char *text = NULL;
  cart_table *table = NULL;
  const char *where = path ? path : file;
  int status = cartp_read_text_file(where, "patients file", PATIENTS_FILE_MAX_BYTES, &text,
                                    &error);
  if (status == CART_OK) {
    status = cart_parse_table(text, where, &table, &error);
  }
  if (status == CART_OK &&
      (status = cart_population_set_patients(population, (const char *const *)table->names,
                                             table->n_columns, table->values,
                                             table->n_rows)) != CART_OK) {
    cartp_error(&error, status, "%s: %s", where, cart_population_last_error(population)->message);
  }
  cart_table_free(table);
  free(text);
  free(path);
  return status == CART_OK ? CART_OK : fail_library(ld, status, line, "patients", "file", &error);
}

/* [dosing] dose_per_kg and dose_cap: the t = 0 infusion by body weight. */
static int build_dose_per_kg(loader *ld, cart_trial *trial)
{
  if (ld->dose_per_kg.line == 0) {
    if (ld->dose_cap.line != 0) {
      return fail(ld, CART_EDOSE, ld->dose_cap.line,
                  "[dosing] dose_cap: only with dose_per_kg (the cap of a weight-based dose)"),
             CART_EDOSE;
    }
    return CART_OK;
  }
  const double cap = ld->dose_cap.line ? ld->dose_cap.number : INFINITY;
  const int status = cart_trial_set_dose_per_kg(trial, ld->dose_per_kg.number, cap);
  return status == CART_OK ? CART_OK
                           : fail_library(ld, status, ld->dose_per_kg.line, "dosing",
                                          "dose_per_kg", cart_trial_last_error(trial));
}

/* [dosing] vein_to_vein_days and the drop-out rule (doc/models.md 5.1). */
static int build_wait(loader *ld, cart_trial *trial)
{
  if (ld->vein_to_vein.line) {
    const int status = cart_trial_set_vein_to_vein(trial, ld->vein_to_vein.number);
    if (status != CART_OK) {
      return fail_library(ld, status, ld->vein_to_vein.line, "dosing", "vein_to_vein_days",
                          cart_trial_last_error(trial));
    }
  }
  if (ld->dropout_factor.line == 0 && ld->dropout_hazard.line == 0) {
    return CART_OK;
  }
  const int line = ld->dropout_factor.line ? ld->dropout_factor.line : ld->dropout_hazard.line;
  const int status = cart_trial_set_dropout(
      trial, ld->dropout_factor.line ? ld->dropout_factor.number : INFINITY,
      ld->dropout_hazard.line ? ld->dropout_hazard.number : 0.0);
  return status == CART_OK ? CART_OK
                           : fail_library(ld, status, line, "dosing",
                                          ld->dropout_factor.line ? "dropout_tumour_factor"
                                                                  : "dropout_hazard_per_day",
                                          cart_trial_last_error(trial));
}

/* [cost]: all of its keys, or none (no defaults: the unit costs are the user's to state). */
static int build_costs(loader *ld, cart_trial *trial)
{
  int first = 0;
  for (int i = 0; i < N_COST_KEYS; i++) {
    if (ld->costs[i].line && (first == 0 || ld->costs[i].line < first)) {
      first = ld->costs[i].line;
    }
  }
  if (first == 0) {
    return CART_OK;
  }
  for (int i = 0; i < N_COST_KEYS; i++) {
    if (ld->costs[i].line == 0) {
      return fail(ld, CART_EPARSE, first,
                  "[cost] %s is missing: the unit costs have no defaults, give product, "
                  "toci_dose, hospital_day and los_days_g0 .. los_days_g4",
                  cost_key_names[i]),
             CART_EPARSE;
    }
  }
  cart_costs costs;
  costs.product = ld->costs[COST_PRODUCT].number;
  costs.toci_dose = ld->costs[COST_TOCI_DOSE].number;
  costs.hospital_day = ld->costs[COST_HOSPITAL_DAY].number;
  for (int g = 0; g < 5; g++) {
    costs.los_days[g] = ld->costs[COST_LOS_G0 + g].number;
  }
  const int status = cart_trial_set_costs(trial, &costs);
  return status == CART_OK ? CART_OK
                           : fail_library(ld, status, first, "cost", NULL,
                                          cart_trial_last_error(trial));
}

static int build_endpoints(loader *ld, cart_trial *trial)
{
  cart_endpoint_settings *settings = cart_trial_edit_endpoint_settings(trial);
  double *fields[N_ENDPOINT_KEYS] = {&settings->n_detect,   &settings->t_resp,
                                     &settings->f_aplasia,  &settings->crs_g[0],
                                     &settings->crs_g[1],   &settings->crs_g[2],
                                     &settings->crs_g[3],   &settings->auc_end};
  for (int i = 0; i < N_ENDPOINT_KEYS; i++) {
    if (ld->endpoints[i].line) {
      *fields[i] = ld->endpoints[i].number;
    }
  }
  for (int g = 0; g < 3; g++) {
    if (!(settings->crs_g[g] < settings->crs_g[g + 1])) {
      const setting *upper = &ld->endpoints[ENDPOINT_CRS_G1 + g + 1];
      const int line = upper->line ? upper->line : ld->endpoints[ENDPOINT_CRS_G1 + g].line;
      fail(ld, CART_ERANGE, line,
           "[endpoints] crs_g%d = %g must be above crs_g%d = %g (thresholds increase with the "
           "grade)",
           g + 2, settings->crs_g[g + 1], g + 1, settings->crs_g[g]);
      return CART_ERANGE;
    }
  }
  /* the model's own settings: the library names the model's valid keys for an unknown one */
  for (size_t i = 0; i < ld->endpoint_settings.count; i++) {
    const entry *e = &ld->endpoint_settings.items[i];
    const int status = cart_trial_set_endpoint_setting(trial, e->name, e->value);
    if (status != CART_OK) {
      return fail_library(ld, status, e->line, "endpoints", e->name,
                          cart_trial_last_error(trial));
    }
  }
  return CART_OK;
}

static int build_outputs(loader *ld, cart_trial *trial)
{
  if (ld->trajectories.line == 0) {
    return CART_OK; /* the model's defaults */
  }
  cart_trial_clear_outputs(trial);
  const char *start = ld->trajectories.text;
  if (*start == '\0') {
    return CART_OK; /* an empty list keeps no trajectories */
  }
  for (;;) {
    const char *comma = strchr(start, ',');
    const char *a = start, *b = comma ? comma : start + strlen(start);
    cartp_trim(&a, &b);
    if (a == b) {
      fail(ld, CART_EPARSE, ld->trajectories.line,
           "[outputs] trajectories: an empty name in '%s'", ld->trajectories.text);
      return CART_EPARSE;
    }
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(b - a), a);
    const int status = cart_trial_add_output(trial, name);
    if (status != CART_OK) {
      return fail_library(ld, status, ld->trajectories.line, "outputs", "trajectories",
                          cart_trial_last_error(trial));
    }
    if (comma == NULL) {
      return CART_OK;
    }
    start = comma + 1;
  }
}

/* [tocilizumab]: the rule, with the defaults of cart_toci_rule_default() for the settings left
 * out. The settings are applied one at a time in file order, each checked by
 * cart_dosing_set_toci_rule, so that an error names the line of the key at fault; they are checked
 * with rule = off too (and kept), so that turning the rule on is one edit. Settings without any
 * `rule` key are an error: they would do nothing. */
/* The key_row of rule setting i (its name, and whether it is in hours). */
static const key_row *rule_row(int i)
{
  return row_at(offsetof(loader, rule_settings) + (size_t)i * sizeof(setting));
}

static int build_toci_rule(loader *ld, cart_trial *trial)
{
  cart_dosing *dosing = cart_trial_edit_dosing(trial);
  int first = -1; /* the setting given first in the file */
  for (int i = 0; i < N_RULE_KEYS; i++) {
    const int line = ld->rule_settings[i].line;
    if (line && (first < 0 || line < ld->rule_settings[first].line)) {
      first = i;
    }
  }
  if (ld->rule.line == 0) {
    if (first >= 0) {
      fail(ld, CART_EPARSE, ld->rule_settings[first].line,
           "[tocilizumab] settings without rule = on (%s here; add rule = on, or rule = off to "
           "keep them with the rule off)",
           rule_row(first)->key);
      return CART_EPARSE;
    }
    cart_dosing_set_toci_rule(dosing, NULL); /* no [tocilizumab]: off */
    return CART_OK;
  }
  cart_toci_rule rule;
  cart_toci_rule_default(&rule);
  int done[N_RULE_KEYS] = {0};
  for (;;) {
    int next = -1; /* the earliest setting not applied yet */
    for (int i = 0; i < N_RULE_KEYS; i++) {
      const int line = ld->rule_settings[i].line;
      if (line && !done[i] && (next < 0 || line < ld->rule_settings[next].line)) {
        next = i;
      }
    }
    if (next < 0) {
      break;
    }
    done[next] = 1;
    const key_row *row = rule_row(next);
    const double given_value = ld->rule_settings[next].number; /* in the key's unit */
    const double v = row->hours ? cart_days_from_hours(given_value) : given_value;
    switch (next) {
    case RULE_TRIGGER:
      rule.trigger = v;
      break;
    case RULE_INTERVAL_H:
      rule.interval_day = v;
      break;
    case RULE_MAX_DOSES:
      rule.max_doses = (int)v; /* 1..CART_TOCI_RULE_MAX_DOSES (key_table) */
      break;
    case RULE_MG_PER_KG:
      rule.mg_per_kg = v;
      break;
    case RULE_CAP_MG:
      rule.cap_mg = v;
      break;
    case RULE_DELAY_H:
      rule.delay_day = v;
      break;
    default:
      rule.duration_day = v;
      break;
    }
    const int status = cart_dosing_set_toci_rule(dosing, &rule);
    if (status != CART_OK) {
      fail(ld, status, ld->rule_settings[next].line, "[tocilizumab] %s = %g: %s", row->key,
           given_value, cart_dosing_last_error(dosing)->message[0] ? cart_dosing_last_error(dosing)->message
                                                          : cart_strerror(status));
      return status;
    }
  }
  rule.enabled = (int)ld->rule.count;
  int status = cart_dosing_set_toci_rule(dosing, &rule);
  if (status != CART_OK) {
    return fail_library(ld, status, ld->rule.line, "tocilizumab", "rule",
                        cart_dosing_last_error(dosing));
  }
  if ((int)ld->rule.count) {
    /* a model the rule does not suit, at the rule's line */
    status = cart_trial_prepare(trial);
    if (status != CART_OK) {
      return fail_library(ld, status, ld->rule.line, "tocilizumab", "rule",
                          cart_trial_last_error(trial));
    }
  }
  return CART_OK;
}

static int build_events(loader *ld, cart_trial *trial)
{
  const double n_ext = ld->n_ext.line ? ld->n_ext.number : CART_N_EXT_DEFAULT;
  const int status = cart_trial_set_extinction(trial, n_ext);
  if (status != CART_OK) {
    return fail_library(ld, status, ld->n_ext.line, "events", "n_ext",
                        cart_trial_last_error(trial));
  }
  return CART_OK;
}

static cart_trial *build(loader *ld, cartp_model_finder find)
{
  if (ld->model.line == 0) {
    const int line = ld->trial_line ? ld->trial_line : ld->line > 0 ? ld->line : 1;
    fail(ld, CART_EPARSE, line, "missing [trial] model (e.g. [trial] model = cart)");
    return NULL;
  }
  cart_error error;
  const cart_model *model = find(ld->model.text, &error);
  if (model == NULL) {
    fail_library(ld, error.code, ld->model.line, "trial", "model", &error);
    return NULL;
  }
  cart_trial *trial = cart_trial_new(model, &error);
  if (trial == NULL) {
    fail(ld, error.code, 0, "%s", error.message);
    return NULL;
  }
  cart_population *population = cart_trial_edit_population(trial);
  cart_params *typical = cart_population_typical(population);
  /* the format's defaults, whatever cart_trial_new chose */
  const size_t n_patients = ld->n_patients.line ? (size_t)ld->n_patients.count : 1000;
  if (cart_trial_set_n_patients(trial, n_patients) != CART_OK) {
    fail_library(ld, cart_trial_last_error(trial)->code, ld->n_patients.line, "trial",
                 "n_patients", cart_trial_last_error(trial));
  }
  cart_trial_set_seed(trial, ld->seed.line ? ld->seed.count : 1);
  int status;
  if (ld->failed || (status = build_times(ld, trial)) != CART_OK ||
      (status = build_solver(ld, trial)) != CART_OK ||
      (status = build_parameters(ld, typical)) != CART_OK ||
      (status = build_initial_dose(ld, trial, typical)) != CART_OK ||
      (status = check_rules(ld, typical)) != CART_OK ||
      (status = build_patients(ld, population)) != CART_OK ||
      (status = build_population(ld, population)) != CART_OK ||
      (status = build_dose_per_kg(ld, trial)) != CART_OK ||
      (status = build_wait(ld, trial)) != CART_OK ||
      (status = build_costs(ld, trial)) != CART_OK ||
      (status = build_endpoints(ld, trial)) != CART_OK ||
      (status = build_outputs(ld, trial)) != CART_OK ||
      (status = add_schedule(ld, trial, 1)) != CART_OK ||
      (status = add_schedule(ld, trial, 0)) != CART_OK ||
      (status = build_toci_rule(ld, trial)) != CART_OK ||
      (status = build_events(ld, trial)) != CART_OK) {
    cart_trial_free(trial);
    return NULL;
  }
  status = cart_trial_prepare(trial);
  if (status != CART_OK) {
    const cart_error *last = cart_trial_last_error(trial);
    fail(ld, status, 0, "%s", last->message[0] ? last->message : cart_strerror(status));
    cart_trial_free(trial);
    return NULL;
  }
  return trial;
}

static void loader_clear(loader *ld);

/* The loader of arm `arm`: the base's settings with the arm's laid over them (cart-scenario(5),
 * ARMS): a single key the arm gives replaces the base's; the arm's [dosing] cart (toci) lines,
 * if any, replace all of the base's; its parameters replace the base's of the same name and add
 * the others. Everything else is the base's, borrowed: only out->parameters.items is the
 * caller's to free. */
static int merge_arm(const loader *base, const arm_spec *arm, loader *out)
{
  *out = *base;
  out->failed = 0;
  out->error_line = 0;
  cart_error_clear(&out->error);
  out->arms = NULL;
  out->n_arms = 0;
  out->arm = NULL;
  const loader *k = arm->keys;
  if (k->dose_per_kg.line) {
    out->dose_per_kg = k->dose_per_kg;
  }
  if (k->dose_cap.line) {
    out->dose_cap = k->dose_cap;
  }
  if (k->vein_to_vein.line) {
    out->vein_to_vein = k->vein_to_vein;
  }
  if (k->dropout_factor.line) {
    out->dropout_factor = k->dropout_factor;
  }
  if (k->dropout_hazard.line) {
    out->dropout_hazard = k->dropout_hazard;
  }
  for (int i = 0; i < N_COST_KEYS; i++) {
    if (k->costs[i].line) {
      out->costs[i] = k->costs[i];
    }
  }
  if (k->rule.line) {
    out->rule = k->rule;
  }
  for (int i = 0; i < N_RULE_KEYS; i++) {
    if (k->rule_settings[i].line) {
      out->rule_settings[i] = k->rule_settings[i];
    }
  }
  if (k->cart_doses.count) {
    out->cart_doses = k->cart_doses;
  }
  if (k->toci_doses.count) {
    out->toci_doses = k->toci_doses;
  }
  const size_t most = base->parameters.count + k->parameters.count;
  out->parameters.items = malloc((most ? most : 1) * sizeof *out->parameters.items);
  out->parameters.count = 0;
  out->parameters.capacity = most;
  if (out->parameters.items == NULL) {
    return CART_ENOMEM;
  }
  for (size_t j = 0; j < base->parameters.count; j++) {
    if (entry_find(&k->parameters, base->parameters.items[j].name, NULL) == NULL) {
      out->parameters.items[out->parameters.count++] = base->parameters.items[j];
    }
  }
  for (size_t j = 0; j < k->parameters.count; j++) {
    out->parameters.items[out->parameters.count++] = k->parameters.items[j];
  }
  return CART_OK;
}

static int arm_has_line(const arm_spec *arm, int line)
{
  for (size_t i = 0; line > 0 && i < arm->n_lines; i++) {
    if (arm->lines[i] == line) {
      return 1;
    }
  }
  return 0;
}

/* Every arm's trial from the base and its keys, into a cart_arms; NULL with the error in ld: an
 * error at a line of the arm is "[arm NAME] " and the base key's message, one at a line of the
 * base (a value that clashes with the arm's) ends with " (in arm 'NAME')". */
static cart_arms *build_arms(loader *ld, cartp_model_finder find)
{
  cart_error error;
  cart_arms *arms = cart_arms_new(&error);
  if (arms == NULL) {
    out_of_memory(ld);
    return NULL;
  }
  if (ld->n_arms == 0) {
    cart_trial *trial = build(ld, find);
    if (trial == NULL || cart_arms_add(arms, NULL, NULL, trial) != CART_OK) {
      if (trial != NULL) {
        fail(ld, cart_arms_last_error(arms)->code, 0, "%s", cart_arms_last_error(arms)->message);
      }
      cart_trial_free(trial);
      cart_arms_free(arms);
      return NULL;
    }
    return arms;
  }
  for (size_t a = 0; a < ld->n_arms; a++) {
    const arm_spec *arm = &ld->arms[a];
    loader merged;
    cart_trial *trial = NULL;
    if (merge_arm(ld, arm, &merged) != CART_OK) {
      out_of_memory(ld);
    } else if ((trial = build(&merged, find)) == NULL) {
      const char *body = message_body(ld, &merged.error, merged.error_line);
      if (arm_has_line(arm, merged.error_line)) {
        fail(ld, merged.error.code, merged.error_line, "[arm %s] %s", arm->name, body);
      } else {
        fail(ld, merged.error.code, merged.error_line, "%s (in arm '%s')", body, arm->name);
      }
    } else if (cart_arms_add(arms, arm->name, arm->label, trial) != CART_OK) {
      fail(ld, cart_arms_last_error(arms)->code, arm->line, "[arm %s] %s", arm->name,
           cart_arms_last_error(arms)->message);
      cart_trial_free(trial);
      trial = NULL;
    }
    free(merged.parameters.items);
    if (trial == NULL) {
      cart_arms_free(arms);
      return NULL;
    }
  }
  return arms;
}

static void loader_clear(loader *ld)
{
  for (size_t a = 0; a < ld->n_arms; a++) {
    arm_spec *arm = &ld->arms[a];
    if (arm->keys != NULL) {
      loader_clear(arm->keys);
      free(arm->keys);
    }
    free(arm->name);
    free(arm->label);
    free(arm->lines);
  }
  free(ld->arms);
  free(ld->model.text);
  free(ld->times);
  free(ld->time_lines);
  free(ld->trajectories.text);
  free(ld->patients_file.text);
  entry_list_clear(&ld->atol);
  entry_list_clear(&ld->parameters);
  entry_list_clear(&ld->variability);
  entry_list_clear(&ld->correlation);
  entry_list_clear(&ld->cart_doses);
  entry_list_clear(&ld->toci_doses);
  entry_list_clear(&ld->endpoint_settings);
}

cart_trial *cart_trial_new_from_scenario(const char *text, const char *source, cart_error *err)
{
  return cartp_trial_new_from_scenario_with(text, source, cart_model_find, err);
}

/* Pass 1 over `text` into *ld (ld->failed and ld->error say how it went). */
static void read_scenario(loader *ld, const char *text, const char *source, const char *caller)
{
  memset(ld, 0, sizeof *ld);
  ld->source = source ? source : "<scenario>";
  if (text == NULL) {
    fail(ld, CART_EINVAL, 0, "%s: no text", caller);
    return;
  }
  ld->position = text;
  const int syntax = ini_parse_stream(read_line, ld, on_entry, ld);
  /* libinih's return: the first line it could not parse (or where the handler gave up, which
   * ld already describes). An earlier line wins. */
  if (syntax > 0 && (!ld->failed || syntax < ld->error_line)) {
    ld->failed = 0;
    fail(ld, CART_EPARSE, syntax,
         "syntax error: expected '[section]', 'key = value' or a comment");
  } else if (syntax < 0 && !ld->failed) {
    out_of_memory(ld);
  }
}

/* The end of a load: *err (may be NULL) cleared when it made something, else the loader's
 * error; the loader freed. */
static void finish_load(loader *ld, int made, cart_error *err)
{
  if (err != NULL) {
    if (made) {
      cart_error_clear(err);
    } else {
      *err = ld->error;
    }
  }
  loader_clear(ld);
}

cart_arms *cart_arms_new_from_scenario(const char *text, const char *source, cart_error *err)
{
  return cartp_arms_new_from_scenario_with(text, source, cart_model_find, err);
}

cart_arms *cartp_arms_new_from_scenario_with(const char *text, const char *source,
                                             cartp_model_finder find, cart_error *err)
{
  return cartp_arms_new_from_scenario_facts(text, source, find, NULL, err);
}

cart_arms *cartp_arms_new_from_scenario_facts(const char *text, const char *source,
                                              cartp_model_finder find,
                                              cartp_scenario_facts *facts, cart_error *err)
{
  loader ld;
  read_scenario(&ld, text, source, "cart_arms_new_from_scenario");
  cart_arms *arms = ld.failed ? NULL : build_arms(&ld, find);
  if (facts != NULL) {
    memset(facts, 0, sizeof *facts);
    facts->error_line = arms == NULL ? ld.error_line : 0;
    for (size_t a = 0; arms != NULL && a < ld.n_arms && a < CART_MAX_ARMS; a++) {
      facts->own_cart[a] = ld.arms[a].keys->cart_doses.count > 0;
      facts->own_toci[a] = ld.arms[a].keys->toci_doses.count > 0;
    }
  }
  finish_load(&ld, arms != NULL, err);
  return arms;
}

cart_trial *cartp_trial_new_from_scenario_with(const char *text, const char *source,
                                               cartp_model_finder find, cart_error *err)
{
  loader ld;
  read_scenario(&ld, text, source, "cart_trial_new_from_scenario");
  if (!ld.failed && ld.n_arms > 0) {
    /* one trial cannot hold several arms, and taking the base alone would ignore them */
    fail(&ld, CART_EINVAL, ld.arms[0].line,
         "[arm %s]: a scenario with arms is a trial of several arms; load it with "
         "cart_arms_new_from_scenario (cart trial runs every arm)",
         ld.arms[0].name);
  }
  cart_trial *trial = ld.failed ? NULL : build(&ld, find);
  finish_load(&ld, trial != NULL, err);
  return trial;
}
