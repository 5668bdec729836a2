/* cart_trial.h: a virtual trial: N patients of a population, their trajectories and endpoints
 * (MODEL.md sections 4 and 5).
 *
 * A cart_trial is the plan (FFTW's plan/execute split): model, population (typical values and
 * variability), dosing schedule, output times, solver settings, endpoint settings, seed and N,
 * and the trajectories to keep. cart_trial_prepare() checks it; cart_trial_run_block() then
 * executes patients [first, first + count) into a cart_trial_block with OpenMP (dynamic schedule)
 * in a caller's cart_trial_workspace (one solver workspace per SIMD lane of each thread, made
 * once by cart_trial_workspace_new and reused for every block), only reading the plan; a
 * patient's results depend only on the plan, the seed and its index, so they are bit-identical
 * for any thread count, workspace or block size. A patient whose draw or solve fails gets its
 * status code and NaN endpoints and trajectories; the trial goes on.
 *
 * Endpoints: the model's own list (cart_model_endpoint_info, cart_model.h), computed from the
 * solver's dense output, not only at output times. cart's and cart2's (MODEL.md 4):
 * cmax and tmax of Cblood, auc28 (the integral of the interpolant, Gauss-Legendre on every step),
 * tumour_nadir, response (2 CR, 1 PR, 0 NR), relapse_day, relapse_negative, aplasia_days,
 * il6_peak, il6s_peak, crs_grade, crs_onset, toci_doses; crossing times are located by bisection
 * on the step's interpolant.
 *
 * Ownership: the trial owns its population and schedule (read them with the const getters
 * below, change them through the cart_trial_edit_ functions); blocks and workspaces are the
 * caller's (cart_trial_block_new / _free, cart_trial_workspace_new / _free).
 * Thread safety: cart_trial_run_block makes its own threads and never changes the trial, so one
 * prepared trial may run blocks in several threads at once, each with its own workspace and
 * block (as one FFTW plan executes in many threads); a trial must not be changed while any block
 * of it runs. Different trials may run in different threads.
 */
#ifndef CART_TRIAL_H
#define CART_TRIAL_H

#include <stddef.h>
#include <stdint.h>

#include <cart/cart_dosing.h>
#include <cart/cart_errno.h>
#include <cart/cart_model.h>
#include <cart/cart_population.h>
#include <cart/cart_solver.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_trial cart_trial;

/* The endpoints, in the order of the columns of cart_trial_block.endpoints. */
typedef enum cart_endpoint {
  CART_ENDPOINT_CMAX,
  CART_ENDPOINT_TMAX,
  CART_ENDPOINT_AUC28,
  CART_ENDPOINT_TUMOUR_NADIR,
  CART_ENDPOINT_RESPONSE,
  CART_ENDPOINT_RELAPSE_DAY,
  CART_ENDPOINT_RELAPSE_NEGATIVE,
  CART_ENDPOINT_APLASIA_DAYS,
  CART_ENDPOINT_IL6_PEAK,
  CART_ENDPOINT_IL6S_PEAK,
  CART_ENDPOINT_CRS_GRADE,
  CART_ENDPOINT_CRS_ONSET,
  CART_ENDPOINT_TOCI_DOSES,
  CART_N_ENDPOINTS
} cart_endpoint;

/* cart_endpoint_get_info describes this list, cart's (and cart2's) endpoints; a model's own list
 * is cart_model_endpoint_info's (cart_model.h), the columns of its trial's blocks.
 * CART_EINVAL when i >= CART_N_ENDPOINTS. */
int cart_endpoint_get_info(size_t i, cart_endpoint_info *info);

/* MODEL.md section 4 settings. */
typedef struct cart_endpoint_settings {
  double n_detect;   /* cells: detection limit of the tumour sum (1e9) */
  double t_resp;     /* day: CR must be reached before it (90) */
  double f_aplasia;  /* B below f_aplasia * B0 is aplasia (0.1) */
  double crs_g[4];   /* pg/mL: IL6s thresholds of CRS grades 1-4 (40, 200, 1000, 5000) */
  double auc_end;    /* day: upper limit of auc28 (28) */
} cart_endpoint_settings;

void cart_endpoint_settings_default(cart_endpoint_settings *settings);

/* An endpoint setting by name (cart_model.h, cart_endpoint_level): a field of
 * cart_endpoint_settings (n_detect, t_resp, f_aplasia, crs_g1 .. crs_g4, auc_end; any model) or
 * one of the model's own (cart_model_endpoint_setting_info). CART_EUNKNOWN_PARAM for a name that
 * is neither (the message names the model's settings), CART_ERANGE for a value outside the
 * setting's bounds (NaN too); the trial is unprepared from then on. */
int cart_trial_set_endpoint_setting(cart_trial *trial, const char *name, double value);
/* The setting's value now: CART_OK, or CART_EUNKNOWN_PARAM (CART_EINVAL for NULL arguments). */
int cart_trial_endpoint_setting(const cart_trial *trial, const char *name, double *value);

/* One patient's endpoints outside a trial.
 *
 * A cart_endpoint_plan holds the endpoint settings of one model, set by name as
 * cart_trial_set_endpoint_setting sets a trial's (the cart_endpoint_settings fields and the
 * model's own, with the same bounds), or copied from a trial. cart_solver_solve_endpoints solves
 * one patient and computes its endpoints with a trial's code: the same tracker on the solver's
 * dense output, the same levels and the same count of tocilizumab doses. For the parameters of
 * a trial's patient (a block's params row, a trial file's /params), the trial's doses, output
 * times, solver settings and extinction threshold, its endpoints are that patient's block
 * endpoints bit for bit, except in a trial with a vein-to-vein time (cart_trial_set_vein_to_vein): the
 * patient then starts from its state at infusion (cart_solver_infusion_state), which this
 * function, starting from the model's initial state, does not. A solve only reads the plan: one plan may serve solvers in several
 * threads at once, and must not be changed while they run. */
typedef struct cart_endpoint_plan cart_endpoint_plan;

/* A plan of `model` (borrowed; models are static) at the default settings, or NULL (CART_EINVAL,
 * CART_ENOMEM in *err, which may be NULL). Free it with cart_endpoint_plan_free (NULL allowed). */
cart_endpoint_plan *cart_endpoint_plan_new(const cart_model *model, cart_error *err);
/* A plan of the trial's model with the trial's endpoint settings as they are now (its own ones
 * too), or NULL as cart_endpoint_plan_new. */
cart_endpoint_plan *cart_endpoint_plan_from_trial(const cart_trial *trial, cart_error *err);
void cart_endpoint_plan_free(cart_endpoint_plan *plan);
const cart_model *cart_endpoint_plan_model(const cart_endpoint_plan *plan);
/* As cart_trial_set_endpoint_setting and cart_trial_endpoint_setting: CART_OK,
 * CART_EUNKNOWN_PARAM (the message names the model's settings) or CART_ERANGE (outside the
 * setting's bounds, NaN too; the plan is unchanged), the message in
 * cart_endpoint_plan_last_error; CART_EINVAL for NULL arguments. The checks across settings
 * (crs_g1 < crs_g2 < crs_g3 < crs_g4) are made by the solve, as cart_trial_prepare makes them. */
int cart_endpoint_plan_set_setting(cart_endpoint_plan *plan, const char *name, double value);
int cart_endpoint_plan_setting(const cart_endpoint_plan *plan, const char *name, double *value);
const cart_error *cart_endpoint_plan_last_error(const cart_endpoint_plan *plan);

/* cart_solver_solve (the same arguments, states and outputs), and the patient's endpoints over
 * [0, times[n_times - 1]] into `endpoints`: cart_model_n_endpoints values in the model's order
 * (cart_model_endpoint_info), integer endpoints as whole numbers. plan: a plan of the solver's
 * model, or NULL for the default settings. toci_doses counts the fixed doses starting within the
 * horizon and the rule's. Returns CART_OK or the solve's code; CART_EINVAL for NULL params or
 * endpoints or a plan of another model, CART_ERANGE for settings that fail cart_trial_prepare's
 * check; the message in cart_solver_last_error. On failure the endpoints are NaN. */
int cart_solver_solve_endpoints(cart_solver *solver, const cart_params *params,
                                const cart_dosing *dosing, const cart_endpoint_plan *plan,
                                const double *times, size_t n_times, double *states,
                                double *outputs, double *endpoints);

/* Results of patients [first, first + count). Arrays are row-major per patient. */
typedef struct cart_trial_block {
  size_t first, count, capacity; /* capacity: patients the arrays have room for */
  size_t n_params, n_outputs, n_times;
  size_t n_endpoints;       /* the model's (cart_model_n_endpoints; CART_N_ENDPOINTS for cart) */
  const cart_model *model;  /* whose endpoint list names the columns (cart_model_endpoint_info) */
  double *params;       /* count x n_params: each patient's parameters */
  float *trajectories;  /* n_outputs x count x n_times: output o of patient k at time j is
                           trajectories[(o * capacity + k) * n_times + j] */
  double *endpoints;    /* count x n_endpoints, in the model's order (integer endpoints hold
                           whole numbers); cart's columns are the cart_endpoint indices */
  size_t max_toci;      /* columns of toci_times: fixed doses + the rule's maximum */
  double *toci_times;   /* count x max_toci: day of each tocilizumab dose given, in time order,
                           NaN after the last (and for a failed patient) */
  int *status;          /* count: CART_OK, CART_ENOTINFUSED (dropped out during the wait) or
                           the code of the failed draw or solve */
  double *tumour_infusion; /* count: the tumour (the model's tumour signal) at infusion, after
                              the vein-to-vein time (the enrolment burden without one); for a
                              patient who dropped out, at the end of the wait; NaN when the
                              draw or the wait's solve failed, or for a model without tumour */
  size_t n_values_at;      /* 0 for a trial of this API; the statistics of cart-targets(5) ask
                              for states or signals at days (NAME@DAY) through the library's
                              inside, one column each */
  double *values_at;       /* count x n_values_at (NULL without them); NaN for a failed patient
                              or a day after the horizon */
} cart_trial_block;

cart_trial *cart_trial_new(const cart_model *model, cart_error *err);
void cart_trial_free(cart_trial *trial);

const cart_model *cart_trial_model(const cart_trial *trial);
/* Read-only views of the trial's parts (owned by the trial; valid until it is freed). */
const cart_population *cart_trial_population(const cart_trial *trial);
const cart_dosing *cart_trial_dosing(const cart_trial *trial);
const cart_endpoint_settings *cart_trial_endpoint_settings(const cart_trial *trial);
/* The same parts, to change: the trial is unprepared from then on, so call cart_trial_prepare
 * again after the changes and before running blocks. */
cart_population *cart_trial_edit_population(cart_trial *trial);
cart_dosing *cart_trial_edit_dosing(cart_trial *trial);
cart_endpoint_settings *cart_trial_edit_endpoint_settings(cart_trial *trial);

/* The most output times a trial (and `cart run`) takes: daily for 2,700 years. Each is kept for
 * every patient's trajectories, so a larger grid is a mistake, and building one would take
 * minutes before any patient is solved. */
#define CART_MAX_OUTPUT_TIMES 1000000

/* Output times (>= 1, finite, >= 0, non-decreasing; copied): CART_ETIMES otherwise (NULL too).
 * Default: weekly 0..365. */
int cart_trial_set_times(cart_trial *trial, const double *times, size_t n_times);
const double *cart_trial_times(const cart_trial *trial, size_t *n_times);

/* Solver settings for every patient: method, rtol, atol (NULL: model defaults), step limit. */
int cart_trial_set_solver(cart_trial *trial, cart_method method, double rtol, const double *atol,
                          unsigned long max_steps);

/* The t = 0 CAR-T infusion per kg of body weight, as product labels give it: each patient's
 * `dose` parameter becomes min(cells_per_kg x WT, cap_cells) after the draw (axicabtagene
 * ciloleucel: 2e6 cells/kg, at most 2e8; tisagenlecleucel in LBCL is a flat dose). NaN turns it
 * off (the default: the dose parameter as drawn); cap_cells INFINITY: no cap. CART_EINVAL for a
 * model without dose and weight parameters, or a dose or cap that is not > 0. A patient whose
 * dose falls outside the parameter's bounds fails with CART_ERANGE. */
int cart_trial_set_dose_per_kg(cart_trial *trial, double cells_per_kg, double cap_cells);
/* cells/kg (NaN: off), and the cap in *cap_cells (may be NULL). */
double cart_trial_dose_per_kg(const cart_trial *trial, double *cap_cells);

/* Vein-to-vein time (doc/models.md 5.1): the days from enrolment (leukapheresis) to the t = 0
 * infusion, during which an autologous product is made. Each patient's tumour phenotypes then
 * grow by the model's own equations without CAR-T (cart_solver_infusion_state) from the burden
 * at enrolment (the T0 parameter) to the burden at infusion, the state the usual solve starts
 * from. 0 (the default) is no wait: the patient starts at the model's initial state, exactly as
 * before. CART_EINVAL for a value that is not finite and >= 0, or a wait for a model without
 * tumour phenotypes or dose parameter (stein). */
int cart_trial_set_vein_to_vein(cart_trial *trial, double wait_days);
double cart_trial_vein_to_vein(const cart_trial *trial);

/* Drop-out during the vein-to-vein time (a trial with a wait only; without one nobody drops
 * out): a patient is not infused when the tumour at infusion exceeds tumour_factor times the
 * tumour at enrolment (progression; INFINITY: off, the default), or else with probability
 * 1 - exp(-hazard_per_day x wait) (0: off, the default), a draw from the patient's own random
 * stream (its seed and index, apart from the parameters' draws, so they do not change). Such a
 * patient gets status CART_ENOTINFUSED, NaN endpoints and trajectories; it counts in the
 * intention-to-treat rates of the summary (as a non-responder) and in no other statistic.
 * CART_EINVAL for a factor that is not > 0 (NaN too) or a hazard that is not finite and >= 0. */
int cart_trial_set_dropout(cart_trial *trial, double tumour_factor, double hazard_per_day);
/* The factor (INFINITY when off) and, in *hazard_per_day (may be NULL), the hazard. */
double cart_trial_dropout(const cart_trial *trial, double *hazard_per_day);

/* Unit costs stated by the user (not a health-economic model: no discounting, no utilities, no
 * costs besides these): the product, paid for every patient infused (a patient who drops out
 * costs nothing), each tocilizumab dose given, and a hospital day, with the length of stay by
 * the patient's CRS grade (the crs_grade endpoint, 0..4). */
typedef struct cart_costs {
  double product;      /* per infused patient; NaN: no costs (the default) */
  double toci_dose;    /* per tocilizumab dose given */
  double hospital_day; /* per day in hospital */
  double los_days[5];  /* days in hospital at CRS grade 0, 1, 2, 3, 4 */
} cart_costs;

/* Sets the trial's unit costs (copied; NULL or a NaN product: none). CART_EINVAL for a value
 * that is not finite and >= 0, or costs for a model without crs_grade and toci_doses endpoints. */
int cart_trial_set_costs(cart_trial *trial, const cart_costs *costs);
/* The trial's unit costs (product NaN when none). */
void cart_trial_costs(const cart_trial *trial, cart_costs *costs);

/* Extinction threshold for every patient (cart_solver_set_extinction): default 1 cell, 0 off. */
int cart_trial_set_extinction(cart_trial *trial, double n_ext);
double cart_trial_extinction(const cart_trial *trial);

/* CART_EINVAL for 0, or for so many patients that the trial's data (parameters, trajectories,
 * endpoints per patient) would not fit in a size_t; cart_trial_prepare checks it again with the
 * final outputs and times. */
int cart_trial_set_n_patients(cart_trial *trial, size_t n_patients);
size_t cart_trial_n_patients(const cart_trial *trial);
void cart_trial_set_seed(cart_trial *trial, uint64_t seed);
uint64_t cart_trial_seed(const cart_trial *trial);

/* Trajectories kept per patient: a state name or a derived signal of the model (cart: Cblood,
 * tumour = Tp + Tn, IL6s). cart_trial_new keeps the model's defaults (cart: Cblood, tumour, B,
 * IL6, IL6s); cart_trial_clear_outputs removes them. CART_EUNKNOWN_PARAM for an unknown name,
 * CART_EINVAL for a name given twice. */
int cart_trial_add_output(cart_trial *trial, const char *name);
void cart_trial_clear_outputs(cart_trial *trial);
size_t cart_trial_n_outputs(const cart_trial *trial);
/* Name and unit of output i (static strings). */
int cart_trial_output_info(const cart_trial *trial, size_t i, const char **name,
                           const char **unit);

/* The most tocilizumab doses a patient can get: the fixed schedule's plus the rule's maximum
 * (the columns of a block's toci_times and of /events/toci_times). */
size_t cart_trial_max_toci_doses(const cart_trial *trial);

/* The endpoints each patient gets: the model's list (cart_model_n_endpoints). */
size_t cart_trial_n_endpoints(const cart_trial *trial);

/* Checks the plan: the number of patients against the size of their data (CART_EINVAL),
 * prepares the population (CART_ERULE, CART_ERANGE for a correlation matrix that is not positive
 * definite), checks the endpoint settings (CART_ERANGE) and that the schedule suits the model
 * (CART_EDOSE). Call it after the last change and before running blocks: every setter and
 * cart_trial_edit_ function unprepares the trial. */
int cart_trial_prepare(cart_trial *trial);

/* A block with room for `capacity` patients of this trial's shape, or NULL (CART_ENOMEM, also
 * when its size would not fit in a size_t). The caller frees it with cart_trial_block_free. */
cart_trial_block *cart_trial_block_new(const cart_trial *trial, size_t capacity,
                                       cart_error *err);
void cart_trial_block_free(cart_trial_block *block);

/* What running blocks needs besides the plan: a solver, a parameter set and state rows per
 * patient in flight of each of n_threads OpenMP threads (0: OpenMP's default; two SIMD vectors
 * of patients per thread where the model and method have SIMD lanes). Made for `trial` (which it
 * borrows: the trial must outlive it) as its times and solver settings are now; after
 * cart_trial_set_times, _set_solver or _set_extinction make a new one. NULL on failure
 * (CART_EINVAL, CART_ENOMEM, in *err, which may be NULL). One workspace serves one
 * cart_trial_run_block at a time; the caller frees it with cart_trial_workspace_free (NULL
 * allowed). */
typedef struct cart_trial_workspace cart_trial_workspace;
cart_trial_workspace *cart_trial_workspace_new(const cart_trial *trial, int n_threads,
                                               cart_error *err);
void cart_trial_workspace_free(cart_trial_workspace *workspace);
/* The threads a block runs on (n_threads given, or OpenMP's default then); 0 for NULL. */
int cart_trial_workspace_n_threads(const cart_trial_workspace *workspace);
/* The message of the last cart_trial_run_block that failed in this workspace. */
const cart_error *cart_trial_workspace_last_error(const cart_trial_workspace *workspace);

/* Runs patients [first, first + count) (count <= block capacity, first + count <= N) of the
 * prepared trial in `workspace` (made for this trial). Returns CART_OK when the block was run
 * (each patient's own outcome is in block->status), or CART_EINVAL for an error that stopped the
 * whole block (the trial not prepared, a workspace made for another trial or before its settings
 * changed, a block that does not fit), its message in the workspace's last error. */
int cart_trial_run_block(const cart_trial *trial, cart_trial_workspace *workspace, size_t first,
                         size_t count, cart_trial_block *block);

const cart_error *cart_trial_last_error(const cart_trial *trial);

/* Called after every block (cart_trial_run_file; with cart_mpi_trial_run_file after every round,
 * on every rank) with the patients written so far and the total; a nonzero return stops the run
 * (the file stays marked incomplete). */
typedef int (*cart_progress_fn)(size_t done, size_t total, void *data);

/* How cart_trial_run_file (and cart_mpi_trial_run_file) run a trial; fill it with
 * cart_trial_run_options_default and change the fields wanted, so that fields added later keep
 * their defaults. */
typedef struct cart_trial_run_options {
  const char *scenario_text; /* stored in the file as is (NULL: ""); default NULL */
  int force;                 /* replace an existing regular file; default 0 */
  size_t block_size;         /* patients per block and chunk; default 0: CART_TRIAL_BLOCK_DEFAULT
                                (MPI: N / ranks, at most CART_TRIAL_BLOCK_DEFAULT) */
  int n_threads;             /* OpenMP threads per process; default 0: OpenMP's default */
  cart_progress_fn progress; /* called after every block (round); default NULL */
  void *progress_data;       /* passed to progress; default NULL */
} cart_trial_run_options;

/* Patients per block when block_size is 0: the trajectories of a block are in memory at once. */
#define CART_TRIAL_BLOCK_DEFAULT 4096

void cart_trial_run_options_default(cart_trial_run_options *options);

/* Integer endpoints (cart_endpoint_info.is_integer: codes, grades, counts) are counted at each
 * value 0..CART_SUMMARY_MAX_LEVEL, and above it, so that any rate of the kind "crs_grade >= 3"
 * follows from the summary. */
#define CART_SUMMARY_MAX_LEVEL 8
/* The most endpoints a model has (the length of cart_trial_summary.endpoints). */
#define CART_SUMMARY_MAX_ENDPOINTS 32

/* One endpoint over the patients solved (status 0). Percentiles are exact: linear interpolation
 * between order statistics of the values that are numbers (numpy's default), NaN when there is
 * none; so is the mean (a compensated sum, in patient order). No pointers: a summary may be
 * copied between processes as bytes (cart-mpi does). */
typedef struct cart_endpoint_summary {
  size_t n_number;  /* solved patients whose value is a number (not NaN) */
  double mean;      /* of those values */
  double p5, p25, p50, p75, p95;
  size_t n_level[CART_SUMMARY_MAX_LEVEL + 1]; /* integer endpoints: solved patients whose value
                                                 is v, for v = 0..CART_SUMMARY_MAX_LEVEL; 0 for
                                                 the others. A rate is n_level[v] / n_solved. */
  size_t n_above;   /* integer endpoints: solved patients whose value is above
                       CART_SUMMARY_MAX_LEVEL (0 for the others) */
} cart_endpoint_summary;

/* The trial's statistics (the /summary of the HDF5 file): the oncology summary, which a model
 * gets for the endpoints of cart's list it has (a statistic of an endpoint the model lacks is
 * NaN, or 0 for a rate: it counts no patient), and the per-endpoint summary of every endpoint of
 * the model (endpoints[i] is cart_model_endpoint_info(model, i)'s, i < n_endpoints).
 * Rates are fractions of the patients solved (status 0), except relapse_rate (of complete
 * responders) and relapse_negative_rate (of relapses). Percentiles use the patients solved whose
 * value is a number (NaN values, such as the aplasia days of a model without B cells, are left
 * out), linear interpolation between order statistics (numpy's default); NaN when there is none.
 * cmax_p5 is endpoints[cmax].p5, bit for bit, and so on. */
typedef struct cart_trial_summary {
  size_t n_patients, n_solved;
  double cr_rate, orr_rate;             /* response 2; response >= 1 */
  double crs_any_rate, crs_grade3_rate; /* crs_grade >= 1; >= 3 */
  double toci_rate, toci_doses_mean;    /* patients given any tocilizumab; doses per patient */
  double cmax_p5, cmax_p50, cmax_p95;   /* cells/uL */
  double tmax_p5, tmax_p50, tmax_p95;   /* day */
  double auc28_p5, auc28_p50, auc28_p95; /* cells/uL*day */
  double aplasia_days_p50;              /* day */
  double relapse_rate, relapse_negative_rate;
  size_t n_endpoints; /* the model's (cart_model_n_endpoints) */
  cart_endpoint_summary endpoints[CART_SUMMARY_MAX_ENDPOINTS]; /* in the model's order; the rest
                                                                  are zero */
  /* Intention to treat (a trial with a vein-to-vein time): the rates above are as treated, of
   * the patients infused and solved; these are of every patient enrolled with an outcome
   * (n_solved + n_dropout: a failed draw or solve is in neither), a patient who dropped out
   * counting as a non-responder. Without drop-outs they equal cr_rate and orr_rate. */
  size_t n_dropout;               /* patients not infused (status CART_ENOTINFUSED) */
  double cr_rate_itt, orr_rate_itt;
  /* The trial's unit costs (cart_trial_set_costs) applied by cart_trial_summary_costs; NaN
   * without costs. The total is the products of the patients infused, their tocilizumab doses
   * and their hospital days by CRS grade, over the patients enrolled with an outcome (per
   * patient, ITT), the patients infused (n_solved) and the complete responders (ITT: the whole
   * total over the responders). */
  double cost_per_patient, cost_per_infused, cost_per_cr;
} cart_trial_summary;

/* Fills the cost fields of a summary of `trial`'s patients from its counts (n_solved, n_dropout,
 * the CR count, the mean tocilizumab doses and the count at each CRS grade) and the trial's unit
 * costs: NaN when it has none. cart_trial_run_file and cart_arms_run_file call it before writing
 * the summary. CART_EINVAL for NULL arguments. */
int cart_trial_summary_costs(const cart_trial *trial, cart_trial_summary *summary);

/* Accumulates blocks of one model, in patient order, into a summary. The rates, counts and means
 * need only running sums; the percentiles are exact (bit-identical to sorting every value), so
 * their values must be had again when the summary is taken: either kept in memory
 * (cart_summary_acc_new: one double per patient and endpoint of the model) or read back through
 * a reader (cart_summary_acc_new_reader: memory independent of N, as cart_trial_run_file does
 * from the file's endpoint columns). Either way cart_summary_acc_get finds each percentile by an
 * exact
 * selection over the values read in chunks of 64 Ki: a first pass counts the numbers and
 * histograms the top 16 bits of each (its bits ordered as an integer), every further pass pins
 * down 16 more bits of the wanted order statistics, and a bracket of at most 64 Ki values is
 * collected and sorted; at most five passes, a few MiB. */
typedef struct cart_summary_acc cart_summary_acc;

/* Reads endpoint `endpoint` (a column of the blocks' model, any of them) of patients
 * [first, first + count) into values, NaN for a patient not solved;
 * returns CART_OK or an error code, which cart_summary_acc_get passes on. Every call for the same
 * patients must give the same values. */
typedef int (*cart_endpoint_reader)(void *data, size_t endpoint, size_t first, size_t count,
                                    double *values);

/* For blocks of `model` (borrowed; models are static). NULL with CART_EINVAL (no model, or one
 * of more than CART_SUMMARY_MAX_ENDPOINTS endpoints), or CART_ENOMEM when the kept values do not
 * fit in a size_t or cannot be had. */
cart_summary_acc *cart_summary_acc_new(const cart_model *model, size_t n_patients,
                                       cart_error *err);
/* Keeps sums and counts only; `read` and `data` (borrowed: they must outlive the accumulator)
 * give the values back. NULL with CART_EINVAL (no model or reader, or too many endpoints) or
 * CART_ENOMEM. */
cart_summary_acc *cart_summary_acc_new_reader(const cart_model *model, size_t n_patients,
                                              cart_endpoint_reader read, void *data,
                                              cart_error *err);
void cart_summary_acc_free(cart_summary_acc *acc);
/* Blocks must come in patient order (first == patients added so far) and be of the
 * accumulator's model (a block with no model counts as cart's): CART_EINVAL otherwise. */
int cart_summary_acc_add(cart_summary_acc *acc, const cart_trial_block *block);
/* The summary of the patients added so far (the oncology statistics and every endpoint's).
 * CART_OK; or the reader's error, CART_ENOMEM (a few MiB for the selection), or CART_EIO when a
 * reader gave different values in two passes: the percentiles of that endpoint are then NaN,
 * never an inexact number (the others are computed all the same). */
int cart_summary_acc_get(const cart_summary_acc *acc, cart_trial_summary *summary);

#ifdef __cplusplus
}
#endif

#endif /* CART_TRIAL_H */
