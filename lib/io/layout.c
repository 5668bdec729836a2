/* layout.c: the layout of a trial file (names, shapes, attributes, chunks, fill values; cart_hdf5.h
 * and cart(1); STYLE.md 5, "HDF5 conventions"), over a file access the caller describes
 * (layout.h): serial (hdf5.c) or MPI-IO (lib/mpi/, in libcart_mpi). Nothing here knows MPI; the
 * access says which transfer properties to use, whether every caller takes part in every write
 * and how the first caller's values reach the others.
 *
 * Every HDF5 return is checked and mapped to CART_EIO with a message that names the file and the
 * object; the callers (hdf5.c, run_file.c, lib/mpi/) run these functions with HDF5's automatic
 * error printing off (H5E_BEGIN_TRY). Strings are variable-length UTF-8: they have no length
 * limit (a long scenario stays out of the 64 KiB object header) and read back as str in h5py.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <unistd.h>

#include <cart/cart_version.h>

#include "../util/error.h"
#include "../population/rng.h"
#include "chunk_write.h"
#include "layout.h"

/* Fill values: what rows of patients not yet written read as (NaN in float datasets). int32 has
 * no NaN, so integer endpoints use INT32_MIN, both for unwritten rows and for a failed patient
 * (whose endpoints are NaN in the block). */
#define INT_ENDPOINT_FILL INT32_MIN
#define STATUS_FILL INT32_MIN /* not -1: that is CART_EINVAL */
/* Deflate level 1: on a trial file's shuffled chunks libdeflate's level 4 took 1.4-1.6 times as
 * long as level 1 for files 1.7 % smaller (30,000 patients of the default trial, bench/RESULTS.md
 * "The sixth pass"), and deflating is a fifth of a written trial's CPU time. */
#define DEFLATE_LEVEL 1
/* HDF5 refuses chunks of 4 GiB or more; keep a margin. */
#define MAX_CHUNK_BYTES ((size_t)1 << 31)

/* One arm's datasets: in the file's root (the plain layout of one unnamed arm) or in its group
 * /arms/NAME (named arms, cart_arms.h), the same names either way. */
typedef struct h5_arm {
  hid_t group; /* where its datasets are: the file, or /arms/NAME */
  hid_t params;
  hid_t *trajectories; /* n_outputs */
  hid_t *endpoints;    /* n_endpoints */
  hid_t status;
  hid_t toci_times; /* events/toci_times */
  hid_t table_row;  /* patients/row: each patient's row of the patients table (or none) */
  hid_t tumour_infusion; /* tumour_at_infusion: only for an arm with a vein-to-vein time */
  size_t max_toci;  /* columns the block carries; the dataset has max(1, max_toci) */
  int finished;     /* its summary is written (cart_h5_finish) */
} h5_arm;

struct cart_h5_file {
  hid_t file;
  const cart_model *model;             /* whose endpoints the file holds */
  size_t n_endpoints;
  cart_endpoint_info *endpoint_info;    /* n_endpoints rows of the model's table */
  const char **output_name;                    /* n_outputs static strings */
  h5_arm *arms;     /* n_arms */
  size_t n_arms;
  size_t arm;       /* the arm that writes, summaries and finishes go to (cart_h5_select_arm) */
  int named;        /* the arms have groups /arms/NAME */
  size_t n_table_rows;
  uint64_t seed;
  cartp_h5_access access; /* borrowed property lists: they outlive the handle */
  /* a block's whole chunks, deflated here (chunk_write.h); NULL with a collective access */
  cartp_chunk_writer *chunks;
  size_t n_patients, n_params, n_outputs, n_times;
  char *path;
  cart_error error;
};

/* The fields of cart_trial_summary, written as attributes of /summary under these names. */
#define SUMMARY_COUNTS(X) X(n_patients) X(n_solved) X(n_dropout)
#define SUMMARY_VALUES(X)                                                                  \
  X(cr_rate) X(orr_rate) X(crs_any_rate) X(crs_grade3_rate) X(toci_rate) X(toci_doses_mean)  \
  X(cmax_p5) X(cmax_p50) X(cmax_p95) X(tmax_p5) X(tmax_p50) X(tmax_p95) X(auc28_p5)          \
  X(auc28_p50) X(auc28_p95) X(aplasia_days_p50) X(relapse_rate) X(relapse_negative_rate)     \
  X(cr_rate_itt) X(orr_rate_itt) X(cost_per_patient) X(cost_per_infused) X(cost_per_cr)

/* ---- small helpers; each returns 0 on success, -1 when an HDF5 call failed ---- */

static int close_id(hid_t id, herr_t (*close)(hid_t))
{
  if (id < 0) {
    return 0;
  }
  return close(id) < 0 ? -1 : 0;
}

/* A variable-length UTF-8 string type (the caller closes it), or a negative id. */
static hid_t string_type(void)
{
  hid_t type = H5Tcopy(H5T_C_S1);
  if (type < 0) {
    return type;
  }
  if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
    H5Tclose(type);
    return H5I_INVALID_HID;
  }
  return type;
}

/* Writes attribute `name` of `loc` (creating it, or overwriting one that exists) from n values
 * (a scalar when n == 0) of mem_type, stored as file_type. */
static int attr_write(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                      const void *values)
{
  const hsize_t dims[1] = {n};
  hid_t space = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
  if (space < 0) {
    return -1;
  }
  hid_t attr = H5I_INVALID_HID;
  const htri_t exists = H5Aexists(loc, name);
  if (exists > 0) {
    attr = H5Aopen(loc, name, H5P_DEFAULT);
  } else if (exists == 0) {
    attr = H5Acreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
  }
  int status = attr >= 0 && H5Awrite(attr, mem_type, values) >= 0 ? 0 : -1;
  status |= close_id(attr, H5Aclose);
  status |= close_id(space, H5Sclose);
  return status;
}

static int attr_string(hid_t loc, const char *name, const char *text)
{
  hid_t type = string_type();
  if (type < 0) {
    return -1;
  }
  int status = attr_write(loc, name, type, type, 0, &text);
  status |= close_id(type, H5Tclose);
  return status;
}

static int attr_strings(hid_t loc, const char *name, const char *const *texts, size_t n)
{
  hid_t type = string_type();
  if (type < 0) {
    return -1;
  }
  int status = attr_write(loc, name, type, type, n, texts);
  status |= close_id(type, H5Tclose);
  return status;
}

static int attr_uint64(hid_t loc, const char *name, uint64_t value)
{
  return attr_write(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &value);
}

static int attr_int32(hid_t loc, const char *name, int32_t value)
{
  return attr_write(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 0, &value);
}

static int attr_double(hid_t loc, const char *name, double value)
{
  return attr_write(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &value);
}

/* Creates dataset `name` in `loc`: rank 1 (rows) or 2 (rows x columns), chunked by chunk_rows
 * whole rows, shuffled and deflated, with the fill value *fill (of fill_type) and attribute unit
 * (none when NULL: /params has a unit per column). Returns the dataset or a negative id. */
static hid_t dataset_create(hid_t loc, const char *name, hid_t file_type, size_t rows,
                            size_t columns, size_t chunk_rows, hid_t fill_type, const void *fill,
                            const char *unit)
{
  const int rank = columns == 0 ? 1 : 2;
  const hsize_t dims[2] = {rows, columns};
  const size_t row_bytes = H5Tget_size(file_type) * (columns == 0 ? 1 : columns);
  if (row_bytes == 0) {
    return H5I_INVALID_HID;
  }
  if (chunk_rows > rows) {
    chunk_rows = rows;
  }
  if (chunk_rows > MAX_CHUNK_BYTES / row_bytes) {
    chunk_rows = MAX_CHUNK_BYTES / row_bytes;
  }
  if (chunk_rows == 0) {
    chunk_rows = 1;
  }
  const hsize_t chunk[2] = {chunk_rows, columns};
  hid_t dataset = H5I_INVALID_HID;
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  /* No chunk cache: a block of patients is written once, as whole chunks, so caching only made
   * memory grow with N (up to 1 MiB per dataset, ~150 bytes per patient up to 1e5 patients). */
  hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
  if (space >= 0 && dcpl >= 0 && dapl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0
      && H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, DEFLATE_LEVEL) >= 0
      && H5Pset_fill_value(dcpl, fill_type, fill) >= 0
      && H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET) >= 0
      && H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, 1.0) >= 0) {
    dataset = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, dapl);
  }
  int status = close_id(dcpl, H5Pclose) | close_id(dapl, H5Pclose) | close_id(space, H5Sclose);
  if (dataset >= 0 && (status != 0 || (unit != NULL && attr_string(dataset, "unit", unit) != 0))) {
    H5Dclose(dataset);
    dataset = H5I_INVALID_HID;
  }
  return dataset;
}

/* Writes rows [first, first + count) of a rank-1 or rank-2 dataset from mem_space (NULL: the rows
 * lie contiguously in buf) with transfer properties xfer. count == 0 writes nothing, but still
 * calls H5Dwrite: with MPI, a rank without rows must join the collective write. */
static int rows_write(hid_t dataset, hid_t mem_type, size_t first, size_t count, size_t columns,
                      hid_t mem_space, const void *buf, hid_t xfer)
{
  const int rank = columns == 0 ? 1 : 2;
  const hsize_t start[2] = {first, 0};
  const hsize_t size[2] = {count, columns};
  hid_t file_space = H5Dget_space(dataset);
  hid_t own_space = mem_space < 0 ? H5Screate_simple(rank, size, NULL) : H5I_INVALID_HID;
  const hid_t space = mem_space < 0 ? own_space : mem_space;
  int status = -1;
  if (file_space >= 0 && space >= 0
      && (count == 0
              ? H5Sselect_none(file_space) >= 0 && H5Sselect_none(space) >= 0
              : H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, size, NULL) >= 0)
      && H5Dwrite(dataset, mem_type, space, file_space, xfer, buf) >= 0) {
    status = 0;
  }
  status |= close_id(own_space, H5Sclose);
  status |= close_id(file_space, H5Sclose);
  return status;
}

/* The first caller's bytes to every caller (attributes are written collectively, with the same
 * value everywhere); nothing with one caller. */
static void share(const cartp_h5_access *access, void *bytes, size_t size)
{
  if (access->share != NULL) {
    access->share(access->share_data, bytes, size);
  }
}

/* "YYYY-MM-DDTHH:MM:SSZ" for now (the first caller's clock); "" if it cannot be read. */
static void iso8601_now(const cartp_h5_access *access, char *buf, size_t size)
{
  const time_t now = time(NULL);
  struct tm utc;
  buf[0] = '\0';
  if (now == (time_t)-1 || gmtime_r(&now, &utc) == NULL
      || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
    buf[0] = '\0';
  }
  share(access, buf, size);
}

int cartp_h5_lists_for_kills(hid_t fcpl, hid_t fapl)
{
  H5AC_cache_config_t cache;
  memset(&cache, 0, sizeof cache);
  cache.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  if (fcpl < 0 || fapl < 0 || H5Pget_mdc_config(fapl, &cache) < 0) {
    return -1;
  }
  cache.dirty_bytes_threshold = (size_t)32 << 20;
  return H5Pset_mdc_config(fapl, &cache) >= 0 &&
                 H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_NONE, 0, 1) >= 0
             ? 0
             : -1;
}

/* ---- the handle ---- */

/* The arm that writes, summaries and finishes go to. */
static h5_arm *current_arm(const cart_h5_file *h5)
{
  return &h5->arms[h5->arm];
}

/* Closes every HDF5 object of the handle; 0, or -1 if a close failed. Leaves the ids invalid. */
static int handle_close_ids(cart_h5_file *h5)
{
  int status = 0;
  for (size_t a = 0; h5->arms != NULL && a < h5->n_arms; a++) {
    h5_arm *arm = &h5->arms[a];
    status |= close_id(arm->params, H5Dclose) | close_id(arm->status, H5Dclose) |
              close_id(arm->toci_times, H5Dclose) | close_id(arm->table_row, H5Dclose) |
              close_id(arm->tumour_infusion, H5Dclose);
    arm->params = arm->status = arm->toci_times = arm->table_row = H5I_INVALID_HID;
    arm->tumour_infusion = H5I_INVALID_HID;
    for (size_t o = 0; arm->trajectories != NULL && o < h5->n_outputs; o++) {
      status |= close_id(arm->trajectories[o], H5Dclose);
      arm->trajectories[o] = H5I_INVALID_HID;
    }
    for (size_t e = 0; arm->endpoints != NULL && e < h5->n_endpoints; e++) {
      status |= close_id(arm->endpoints[e], H5Dclose);
      arm->endpoints[e] = H5I_INVALID_HID;
    }
    if (arm->group != h5->file) {
      status |= close_id(arm->group, H5Gclose);
    }
    arm->group = H5I_INVALID_HID;
  }
  status |= close_id(h5->file, H5Fclose);
  h5->file = H5I_INVALID_HID;
  return status;
}

static void handle_free(cart_h5_file *h5)
{
  if (h5 != NULL) {
    for (size_t a = 0; h5->arms != NULL && a < h5->n_arms; a++) {
      free(h5->arms[a].trajectories);
      free(h5->arms[a].endpoints);
    }
    free(h5->arms);
    cartp_chunk_writer_free(h5->chunks);
    free(h5->output_name);
    free(h5->endpoint_info);
    free(h5->path);
    free(h5);
  }
}

static cart_h5_file *handle_alloc(const char *path, size_t n_outputs, const cart_model *model,
                                  size_t n_arms, const cartp_h5_access *access)
{
  cart_h5_file *h5 = calloc(1, sizeof *h5);
  if (h5 == NULL) {
    return NULL;
  }
  h5->file = H5I_INVALID_HID;
  h5->access = *access;
  h5->model = model;
  h5->n_endpoints = cart_model_n_endpoints(model);
  h5->n_outputs = n_outputs;
  h5->path = malloc(strlen(path) + 1);
  h5->output_name = calloc(n_outputs ? n_outputs : 1, sizeof *h5->output_name);
  h5->endpoint_info = calloc(h5->n_endpoints ? h5->n_endpoints : 1, sizeof *h5->endpoint_info);
  h5->arms = calloc(n_arms, sizeof *h5->arms);
  h5->chunks = access->collective ? NULL : cartp_chunk_writer_new();
  if (h5->path == NULL || h5->output_name == NULL || h5->endpoint_info == NULL
      || h5->arms == NULL || (!access->collective && h5->chunks == NULL)) {
    handle_free(h5);
    return NULL;
  }
  h5->n_arms = n_arms;
  strcpy(h5->path, path);
  for (size_t a = 0; a < n_arms; a++) {
    h5_arm *arm = &h5->arms[a];
    arm->group = arm->params = arm->status = arm->toci_times = arm->table_row = H5I_INVALID_HID;
    arm->tumour_infusion = H5I_INVALID_HID;
    arm->trajectories = malloc((n_outputs ? n_outputs : 1) * sizeof *arm->trajectories);
    arm->endpoints = malloc((h5->n_endpoints ? h5->n_endpoints : 1) * sizeof *arm->endpoints);
    if (arm->trajectories == NULL || arm->endpoints == NULL) {
      handle_free(h5);
      return NULL;
    }
    for (size_t e = 0; e < h5->n_endpoints; e++) {
      arm->endpoints[e] = H5I_INVALID_HID;
    }
    for (size_t o = 0; o < n_outputs; o++) {
      arm->trajectories[o] = H5I_INVALID_HID;
    }
  }
  return h5;
}

/* ---- create ---- */

/* Root attributes and /time. */
static int create_root(cart_h5_file *h5, const cart_trial *trial, const char *scenario_text,
                       cart_error *err)
{
  const hid_t root = h5->file;
  char created[32];
  iso8601_now(&h5->access, created, sizeof created);
  if (attr_string(root, "libcart_version", cart_version()) != 0
      || attr_string(root, "model", cart_model_name(cart_trial_model(trial))) != 0
      || attr_string(root, "scenario", scenario_text ? scenario_text : "") != 0
      || attr_uint64(root, "seed", cart_trial_seed(trial)) != 0
      || attr_uint64(root, "n_patients", (uint64_t)h5->n_patients) != 0
      || attr_int32(root, "complete", 0) != 0 || attr_string(root, "created", created) != 0) {
    return cartp_error(err, CART_EIO, "cannot write the attributes of '/' in '%s'", h5->path);
  }
  size_t n_times = 0;
  const double *times = cart_trial_times(trial, &n_times);
  const hsize_t dims[1] = {n_times};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t time_set = space < 0 ? H5I_INVALID_HID
                             : H5Dcreate2(root, "time", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                          H5P_DEFAULT, H5P_DEFAULT);
  int status = time_set >= 0
                       && H5Dwrite(time_set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                   h5->access.write_xfer, times) >= 0
                       && attr_string(time_set, "unit", "day") == 0
                   ? 0
                   : -1;
  status |= close_id(time_set, H5Dclose) | close_id(space, H5Sclose);
  if (status != 0) {
    return cartp_error(err, CART_EIO, "cannot write dataset '/time' in '%s'", h5->path);
  }
  return CART_OK;
}

/* /params with its names and units. */
static int create_params(cart_h5_file *h5, const cart_model *model, size_t chunk_patients,
                         cart_error *err)
{
  const size_t n = h5->n_params;
  const char **names = malloc((n ? n : 1) * sizeof *names);
  const char **units = malloc((n ? n : 1) * sizeof *units);
  if (names == NULL || units == NULL) {
    free(names);
    free(units);
    return cartp_error(err, CART_ENOMEM, "cannot create '%s': out of memory", h5->path);
  }
  for (size_t i = 0; i < n; i++) {
    cart_param_info info;
    if (cart_model_param_info(model, i, &info) != CART_OK) {
      free(names);
      free(units);
      return cartp_error(err, CART_EINVAL, "cannot create '%s': no parameter %zu in model '%s'",
                         h5->path, i, cart_model_name(model));
    }
    names[i] = info.name;
    units[i] = info.unit;
  }
  const double fill = NAN;
  current_arm(h5)->params = dataset_create(current_arm(h5)->group, "params", H5T_IEEE_F64LE, h5->n_patients, n,
                              chunk_patients, H5T_NATIVE_DOUBLE, &fill, NULL);
  int status = current_arm(h5)->params >= 0 && attr_strings(current_arm(h5)->params, "names", names, n) == 0
                       && attr_strings(current_arm(h5)->params, "units", units, n) == 0
                   ? CART_OK
                   : cartp_error(err, CART_EIO, "cannot create dataset '/params' in '%s'",
                                 h5->path);
  free(names);
  free(units);
  return status;
}

static int create_trajectories(cart_h5_file *h5, const cart_trial *trial, size_t chunk_patients,
                               cart_error *err)
{
  hid_t group = H5Gcreate2(current_arm(h5)->group, "trajectories", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (group < 0) {
    return cartp_error(err, CART_EIO, "cannot create group '/trajectories' in '%s'", h5->path);
  }
  const float fill = NAN;
  int status = CART_OK;
  for (size_t o = 0; o < h5->n_outputs && status == CART_OK; o++) {
    const char *name = NULL, *unit = NULL;
    if (cart_trial_output_info(trial, o, &name, &unit) != CART_OK || name == NULL) {
      status = cartp_error(err, CART_EINVAL, "cannot create '%s': no output %zu in the trial",
                           h5->path, o);
      break;
    }
    h5->output_name[o] = name;
    current_arm(h5)->trajectories[o] = dataset_create(group, name, H5T_IEEE_F32LE, h5->n_patients,
                                         h5->n_times, chunk_patients, H5T_NATIVE_FLOAT, &fill,
                                         unit ? unit : "");
    if (current_arm(h5)->trajectories[o] < 0) {
      status = cartp_error(err, CART_EIO, "cannot create dataset '/trajectories/%s' in '%s'",
                           name, h5->path);
    }
  }
  if (H5Gclose(group) < 0 && status == CART_OK) {
    status = cartp_error(err, CART_EIO, "cannot close group '/trajectories' in '%s'", h5->path);
  }
  return status;
}

static int create_endpoints(cart_h5_file *h5, size_t chunk_patients, cart_error *err)
{
  hid_t group = H5Gcreate2(current_arm(h5)->group, "endpoints", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (group < 0) {
    return cartp_error(err, CART_EIO, "cannot create group '/endpoints' in '%s'", h5->path);
  }
  const double fill_double = NAN;
  const int32_t fill_int = INT_ENDPOINT_FILL;
  int status = CART_OK;
  for (size_t e = 0; e < h5->n_endpoints && status == CART_OK; e++) {
    cart_endpoint_info info;
    if (cart_model_endpoint_info(h5->model, e, &info) != CART_OK || info.name == NULL) {
      status = cartp_error(err, CART_EINVAL, "cannot create '%s': no endpoint %zu", h5->path, e);
      break;
    }
    h5->endpoint_info[e] = info;
    const char *unit = info.unit ? info.unit : "";
    current_arm(h5)->endpoints[e] =
        info.is_integer
            ? dataset_create(group, info.name, H5T_STD_I32LE, h5->n_patients, 0, chunk_patients,
                             H5T_NATIVE_INT32, &fill_int, unit)
            : dataset_create(group, info.name, H5T_IEEE_F64LE, h5->n_patients, 0, chunk_patients,
                             H5T_NATIVE_DOUBLE, &fill_double, unit);
    if (current_arm(h5)->endpoints[e] < 0) {
      status = cartp_error(err, CART_EIO, "cannot create dataset '/endpoints/%s' in '%s'",
                           info.name, h5->path);
    }
  }
  if (H5Gclose(group) < 0 && status == CART_OK) {
    status = cartp_error(err, CART_EIO, "cannot close group '/endpoints' in '%s'", h5->path);
  }
  return status;
}

/* Why `path` could not be created when its directory tells (MPI-IO leaves no errno): " (directory
 * 'DIR': reason)", else "". */
/* /patients (only for a trial with a patients table, cart_population_set_patients): /table, the
 * table as given (rows x columns, attributes names and units of its parameters), and /row, the
 * row each patient took (int64; written with each block). Every caller writes the same /table,
 * as /time. */
static int create_patients(cart_h5_file *h5, const cart_trial *trial, size_t chunk_patients,
                           cart_error *err)
{
  const cart_population *population = cart_trial_population(trial);
  size_t rows = 0, columns = 0;
  const double *values = cart_population_table(population, &rows, &columns);
  h5->n_table_rows = rows;
  h5->seed = cart_trial_seed(trial);
  if (values == NULL || rows == 0) {
    return CART_OK;
  }
  const cart_model *model = cart_trial_model(trial);
  const char **names = malloc(2 * columns * sizeof *names);
  if (names == NULL) {
    return cartp_error(err, CART_ENOMEM, "cannot write '/patients' in '%s': out of memory",
                       h5->path);
  }
  const char **units = names + columns;
  for (size_t c = 0; c < columns; c++) {
    cart_param_info info;
    names[c] = cart_population_table_column(population, c);
    cart_model_param_info(model, (size_t)cart_model_param_index(model, names[c]), &info);
    units[c] = info.unit;
  }
  hid_t group = H5Gcreate2(current_arm(h5)->group, "patients", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[2] = {rows, columns};
  hid_t space = group < 0 ? H5I_INVALID_HID : H5Screate_simple(2, dims, NULL);
  hid_t table = space < 0 ? H5I_INVALID_HID
                          : H5Dcreate2(group, "table", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT);
  int status = table >= 0
                       && H5Dwrite(table, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                   h5->access.write_xfer, values) >= 0
                       && attr_strings(table, "names", names, columns) == 0
                       && attr_strings(table, "units", units, columns) == 0
                   ? 0
                   : -1;
  status |= close_id(table, H5Dclose) | close_id(space, H5Sclose);
  free(names);
  const long long fill = -1;
  current_arm(h5)->table_row = status != 0 ? H5I_INVALID_HID
                              : dataset_create(group, "row", H5T_STD_I64LE, h5->n_patients, 0,
                                               chunk_patients, H5T_NATIVE_LLONG, &fill, "1");
  status |= close_id(group, H5Gclose);
  if (status != 0 || current_arm(h5)->table_row < 0) {
    return cartp_error(err, CART_EIO, "cannot write '/patients' in '%s'", h5->path);
  }
  return CART_OK;
}

static void directory_problem(const char *path, char *out, size_t size)
{
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    snprintf(dir, sizeof dir, ".");
  } else {
    snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
  }
  out[0] = '\0';
  if (access(dir, W_OK | X_OK) != 0) {
    const int error = errno;
    char reason[128];
    if (strerror_r(error, reason, sizeof reason) != 0) {
      snprintf(reason, sizeof reason, "error %d", error);
    }
    const size_t used = (size_t)snprintf(out, size, " (directory '%s': ", dir);
    if (used < size) { /* a long path is cut */
      snprintf(out + used, size - used, "%s)", reason);
    }
  }
}

/* The message of an H5Fcreate that failed with errno saved_errno (0: unknown). */
static void create_failed(const char *path, int force, int saved_errno, cart_error *err)
{
  if (!force && saved_errno == EEXIST) {
    cartp_error(err, CART_EEXIST, "output file '%s' exists (use --force to overwrite)", path);
  } else if (saved_errno != 0) {
    char reason[128];
    if (strerror_r(saved_errno, reason, sizeof reason) != 0) {
      snprintf(reason, sizeof reason, "error %d", saved_errno);
    }
    cartp_error(err, CART_EIO, "cannot create output file '%s': %s", path, reason);
  } else {
    char reason[4200];
    directory_problem(path, reason, sizeof reason);
    cartp_error(err, CART_EIO, "cannot create output file '%s'%s", path, reason);
  }
}

/* What is at the path before: nothing (0), a regular file (1), or something else (2: a device, a
 * FIFO, a directory), which is never an output. */
static int path_kind(const char *path)
{
  struct stat info;
  return stat(path, &info) == 0 ? (S_ISREG(info.st_mode) ? 1 : 2) : 0;
}

/* One arm's datasets in its group (the file itself for the plain layout), as the arm now
 * selected (h5->arm). */
static int create_arm(cart_h5_file *h5, const cart_trial *trial, size_t chunk_patients,
                      cart_error *err)
{
  const cart_model *model = cart_trial_model(trial);
  const size_t n_patients = h5->n_patients;
  const char *path = h5->path;
  int status = create_params(h5, model, chunk_patients, err);
  if (status == CART_OK) {
    status = create_trajectories(h5, trial, chunk_patients, err);
  }
  if (status == CART_OK) {
    status = create_endpoints(h5, chunk_patients, err);
  }
  h5_arm *arm = current_arm(h5);
  if (status == CART_OK) {
    /* events/toci_times: the days of each patient's tocilizumab doses (fixed and by rule), in
     * time order, NaN-padded to the most a patient can get (at least one column). */
    hid_t group = H5Gcreate2(arm->group, "events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double fill = NAN;
    arm->max_toci = cart_trial_max_toci_doses(trial);
    arm->toci_times = group < 0 ? H5I_INVALID_HID
                                : dataset_create(group, "toci_times", H5T_IEEE_F64LE, n_patients,
                                                 arm->max_toci ? arm->max_toci : 1,
                                                 chunk_patients, H5T_NATIVE_DOUBLE, &fill, "day");
    if (close_id(group, H5Gclose) != 0 || arm->toci_times < 0) {
      status = cartp_error(err, CART_EIO, "cannot create dataset '/events/toci_times' in '%s'",
                           path);
    }
  }
  if (status == CART_OK) {
    status = create_patients(h5, trial, chunk_patients, err);
  }
  if (status == CART_OK && cart_trial_vein_to_vein(trial) > 0) {
    /* the tumour at infusion, after the wait (at its end for a patient who dropped out) */
    const double fill = NAN;
    arm->tumour_infusion = dataset_create(arm->group, "tumour_at_infusion", H5T_IEEE_F64LE,
                                          n_patients, 0, chunk_patients, H5T_NATIVE_DOUBLE,
                                          &fill, "cells");
    if (arm->tumour_infusion < 0) {
      status = cartp_error(err, CART_EIO, "cannot create dataset '/tumour_at_infusion' in '%s'",
                           path);
    }
  }
  if (status == CART_OK) {
    const int fill = STATUS_FILL;
    arm->status = dataset_create(arm->group, "status", H5T_STD_I32LE, n_patients, 0,
                                 chunk_patients, H5T_NATIVE_INT, &fill, "1");
    if (arm->status < 0) {
      status = cartp_error(err, CART_EIO, "cannot create dataset '/status' in '%s'", path);
    }
  }
  return status;
}

/* /arms/NAME for every named arm, with attributes label and index, and the root attribute arms:
 * the names in the arms' order (HDF5 lists groups by name). */
static int create_arm_groups(cart_h5_file *h5, const char *const *names,
                             const char *const *labels, cart_error *err)
{
  hid_t arms = H5Gcreate2(h5->file, "arms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int failed = arms < 0 || attr_strings(h5->file, "arms", names, h5->n_arms) != 0;
  for (size_t a = 0; !failed && a < h5->n_arms; a++) {
    h5_arm *arm = &h5->arms[a];
    arm->group = H5Gcreate2(arms, names[a], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    failed = arm->group < 0
             || attr_string(arm->group, "label", labels && labels[a] ? labels[a] : "") != 0
             || attr_uint64(arm->group, "index", (uint64_t)a) != 0;
  }
  failed |= close_id(arms, H5Gclose);
  return failed ? cartp_error(err, CART_EIO, "cannot create the groups of '/arms' in '%s'",
                              h5->path)
                : CART_OK;
}

/* The body of cartp_h5_file_new, run with HDF5's error printing off. */
static cart_h5_file *h5_file_new(const char *path, const cart_trial *const *trials,
                                 const char *const *names, const char *const *labels,
                                 size_t n_arms, const char *scenario_text, int force,
                                 size_t chunk_patients, const cartp_h5_access *access,
                                 cart_error *err)
{
  const cart_trial *trial = n_arms > 0 ? trials[0] : NULL;
  for (size_t a = 1; trial != NULL && a < n_arms; a++) {
    trial = trials[a] != NULL ? trial : NULL;
  }
  if (path == NULL || path[0] == '\0' || trial == NULL) {
    cartp_error(err, CART_EINVAL, "cart_h5_file_new: %s is NULL or empty",
                trial == NULL ? "trial" : "path");
    return NULL;
  }
  if (names == NULL && n_arms != 1) {
    cartp_error(err, CART_EINVAL, "cart_h5_file_new: several arms need names");
    return NULL;
  }
  if (chunk_patients == 0) {
    cartp_error(err, CART_EINVAL, "cart_h5_file_new: chunk_patients must be > 0");
    return NULL;
  }
  const cart_model *model = cart_trial_model(trial);
  const size_t n_patients = cart_trial_n_patients(trial);
  size_t n_times = 0;
  const double *times = cart_trial_times(trial, &n_times);
  if (model == NULL || n_patients == 0 || times == NULL || n_times == 0) {
    cartp_error(err, CART_EINVAL,
                "cart_h5_file_new: the trial needs a model, patients and output times");
    return NULL;
  }
  /* What is at the path before: nothing, a regular file, or something else (a device, a FIFO,
   * a directory), which is never an output: HDF5 cannot write a trial there, and a failed
   * H5Fcreate of an opened file leaves an object behind in HDF5 1.10 that no call can close. */
  int found = path_kind(path);
  /* The first caller's look decides for all: another may look after the first created it. */
  share(access, &found, sizeof found);
  if (found == 2) {
    cartp_error(err, CART_EINVAL, "output '%s' is not a regular file", path);
    return NULL;
  }
  if (found == 1 && !force) {
    cartp_error(err, CART_EEXIST, "output file '%s' exists (use --force to overwrite)", path);
    return NULL;
  }

  cart_h5_file *h5 = handle_alloc(path, cart_trial_n_outputs(trial), model, n_arms, access);
  if (h5 == NULL) {
    cartp_error(err, CART_ENOMEM, "cannot create '%s': out of memory", path);
    return NULL;
  }
  h5->n_patients = n_patients;
  h5->n_params = cart_model_n_params(model);
  h5->n_times = n_times;
  h5->named = names != NULL;

  /* H5F_ACC_EXCL also refuses a file that appeared after the check above. */
  errno = 0;
  h5->file = H5Fcreate(path, force ? H5F_ACC_TRUNC : H5F_ACC_EXCL, access->fcpl, access->fapl);
  const int saved_errno = access->errno_known ? errno : 0;
  if (h5->file < 0) {
    create_failed(path, force, saved_errno, err);
    handle_free(h5);
    return NULL;
  }

  if (!h5->named) {
    h5->arms[0].group = h5->file; /* the plain layout: the arm's datasets in the root */
  }

  /* The file this call created, if it did: only that one is removed when the layout fails. */
  struct stat created;
  const int own_file = access->removes && found == 0 && stat(path, &created) == 0
                       && S_ISREG(created.st_mode);

  int status = create_root(h5, trials[0], scenario_text, err);
  if (status == CART_OK && names != NULL) {
    status = create_arm_groups(h5, names, labels, err);
  }
  for (size_t a = 0; status == CART_OK && a < n_arms; a++) {
    h5->arm = a;
    status = create_arm(h5, trials[a], chunk_patients, err);
  }
  h5->arm = 0;
  /* A file killed from here on is readable, with complete = 0. */
  if (status == CART_OK && H5Fflush(h5->file, H5F_SCOPE_LOCAL) < 0) {
    status = cartp_error(err, CART_EIO, "cannot flush '%s'", path);
  }
  if (status != CART_OK) {
    /* Half a layout is no trial file: remove it if this call created it (and it is still the
     * same regular file), never anything that was there before. */
    handle_close_ids(h5);
    struct stat now;
    if (own_file && stat(path, &now) == 0 && S_ISREG(now.st_mode) &&
        now.st_dev == created.st_dev && now.st_ino == created.st_ino) {
      remove(path);
    }
    handle_free(h5);
    return NULL;
  }
  cart_error_clear(&h5->error);
  return h5;
}

cart_h5_file *cartp_h5_file_new(const char *path, const cart_trial *const *trials,
                                const char *const *names, const char *const *labels,
                                size_t n_arms, const char *scenario_text, int force,
                                size_t chunk_patients, const cartp_h5_access *access,
                                cart_error *err)
{
  cart_h5_file *h5 = NULL;
  H5E_BEGIN_TRY
  {
    h5 = h5_file_new(path, trials, names, labels, n_arms, scenario_text, force, chunk_patients,
                     access, err);
  }
  H5E_END_TRY;
  return h5;
}

/* ---- the small files of other analyses (lib/io/sensitivity_file.c) ---- */

hid_t cartp_h5_create(const char *path, int force, cart_error *err)
{
  hid_t file = H5I_INVALID_HID;
  const int found = path_kind(path);
  if (found == 2) {
    cartp_error(err, CART_EINVAL, "output '%s' is not a regular file", path);
  } else if (found == 1 && !force) {
    cartp_error(err, CART_EEXIST, "output file '%s' exists (use --force to overwrite)", path);
  } else {
    H5E_BEGIN_TRY
    {
      errno = 0;
      file = H5Fcreate(path, force ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (file < 0) {
      create_failed(path, force, errno, err);
    }
  }
  return file;
}

int cartp_h5_attr_string(hid_t loc, const char *name, const char *text)
{
  return attr_string(loc, name, text);
}

int cartp_h5_attr_strings(hid_t loc, const char *name, const char *const *texts, size_t n)
{
  return attr_strings(loc, name, texts, n);
}

int cartp_h5_attr_uint64(hid_t loc, const char *name, uint64_t value)
{
  return attr_uint64(loc, name, value);
}

int cartp_h5_attr_double(hid_t loc, const char *name, double value)
{
  return attr_double(loc, name, value);
}

int cartp_h5_doubles(hid_t loc, const char *name, size_t rows, size_t columns,
                     const double *values, const char *unit)
{
  const double fill = NAN;
  hid_t dataset = dataset_create(loc, name, H5T_IEEE_F64LE, rows, columns, rows,
                                 H5T_NATIVE_DOUBLE, &fill, unit);
  if (dataset < 0) {
    return -1;
  }
  int status = rows_write(dataset, H5T_NATIVE_DOUBLE, 0, rows, columns, H5I_INVALID_HID, values,
                          H5P_DEFAULT);
  status |= close_id(dataset, H5Dclose);
  return status;
}

/* ---- write ---- */

static int check_block(const cart_h5_file *h5, const cart_trial_block *block, cart_error *err)
{
  if (block == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_h5_write_block: block is NULL");
  }
  if (block->n_params != h5->n_params || block->n_outputs != h5->n_outputs
      || block->n_times != h5->n_times || block->max_toci != current_arm(h5)->max_toci
      || block->n_endpoints != h5->n_endpoints) {
    return cartp_error(err, CART_EINVAL,
                       "cart_h5_write_block: block of %zu parameters, %zu outputs, %zu times, "
                       "%zu endpoints does not match '%s' (%zu, %zu, %zu, %zu)",
                       block->n_params, block->n_outputs, block->n_times, block->n_endpoints,
                       h5->path, h5->n_params, h5->n_outputs, h5->n_times, h5->n_endpoints);
  }
  if (block->count > block->capacity || block->first > h5->n_patients
      || block->count > h5->n_patients - block->first) {
    return cartp_error(err, CART_EINVAL,
                       "cart_h5_write_block: patients %zu + %zu (capacity %zu) outside the %zu "
                       "of '%s'",
                       block->first, block->count, block->capacity, h5->n_patients, h5->path);
  }
  if (block->count > 0
      && (block->params == NULL || block->endpoints == NULL || block->status == NULL
          || (h5->n_outputs > 0 && block->trajectories == NULL))) {
    return cartp_error(err, CART_EINVAL, "cart_h5_write_block: block has no arrays");
  }
  if (block->count > 0 && current_arm(h5)->tumour_infusion >= 0 && block->tumour_infusion == NULL) {
    return cartp_error(err, CART_EINVAL,
                       "cart_h5_write_block: block has no tumour_infusion for the arm's "
                       "vein-to-vein time");
  }
  return CART_OK;
}

/* Rows [first, first + count) of one of the current arm's datasets from buf (contiguous rows of
 * mem_type): as whole chunks deflated here where they are (a serial file, chunk_write.h), else
 * through HDF5's filters. */
static int block_rows_write(cart_h5_file *h5, hid_t dataset, hid_t mem_type, size_t first,
                            size_t count, size_t columns, const void *buf)
{
  const int done = cartp_chunk_writer_write(h5->chunks, dataset, mem_type, first, count, buf);
  if (done != 0) {
    return done < 0 ? -1 : 0;
  }
  return rows_write(dataset, mem_type, first, count, columns, H5I_INVALID_HID, buf,
                    h5->access.write_xfer);
}

/* One endpoint column of the block (count x n_endpoints doubles), through `column` (room for
 * count doubles). */
static int write_endpoint(cart_h5_file *h5, const cart_trial_block *block, size_t e, void *column)
{
  const size_t first = block->first, count = block->count;
  if (h5->endpoint_info[e].is_integer) {
    int32_t *codes = column;
    for (size_t k = 0; k < count; k++) {
      const double value = block->endpoints[k * h5->n_endpoints + e];
      /* Whole numbers by contract; NaN (failed patient) and anything int32 cannot hold read as
       * the fill value. */
      codes[k] = isfinite(value) && value > (double)INT32_MIN && value <= (double)INT32_MAX
                     ? (int32_t)lround(value)
                     : INT_ENDPOINT_FILL;
    }
    return block_rows_write(h5, current_arm(h5)->endpoints[e], H5T_NATIVE_INT32, first, count, 0,
                            codes);
  }
  if (h5->chunks != NULL) { /* gathered, for whole chunks */
    double *values = column;
    for (size_t k = 0; k < count; k++) {
      values[k] = block->endpoints[k * h5->n_endpoints + e];
    }
    return block_rows_write(h5, current_arm(h5)->endpoints[e], H5T_NATIVE_DOUBLE, first, count, 0,
                            values);
  }
  /* Column e of the row-major table, selected in memory: no copy. */
  const hsize_t table[2] = {count, h5->n_endpoints};
  const hsize_t start[2] = {0, e};
  const hsize_t one_column[2] = {count, 1};
  hid_t mem_space = H5Screate_simple(2, table, NULL);
  int status = -1;
  if (mem_space >= 0
      && H5Sselect_hyperslab(mem_space, H5S_SELECT_SET, start, NULL, one_column, NULL) >= 0) {
    status = rows_write(current_arm(h5)->endpoints[e], H5T_NATIVE_DOUBLE, first, count, 0, mem_space,
                        block->endpoints, h5->access.write_xfer);
  }
  status |= close_id(mem_space, H5Sclose);
  return status;
}

/* Whether this caller's step or any other's failed: with several callers (MPI) every one learns
 * it, so that all stop at the same write and no collective call waits for a caller that left. */
static int any_failed(const cart_h5_file *h5, int failed)
{
  return h5->access.any_failed != NULL ? h5->access.any_failed(h5->access.share_data, failed)
                                       : failed;
}

static int h5_write_block(cart_h5_file *h5, const cart_trial_block *block)
{
  cart_error *err = &h5->error;
  int status = check_block(h5, block, err);
  /* With a collective access, a caller with no rows this round still takes part in every write
   * and flush. */
  if (status != CART_OK || (block->count == 0 && !h5->access.collective)) {
    return status;
  }
  const size_t first = block->first, count = block->count, last = first + count - 1;
  void *column = malloc((count ? count : 1) * sizeof(double)); /* an endpoint's, or int32 codes */
  if (any_failed(h5, column == NULL)) {
    free(column);
    return cartp_error(err, CART_ENOMEM, "cannot write patients %zu-%zu of '%s': out of memory",
                       first, last, h5->path);
  }
  /* /status last: a row whose status is written is whole. A failed write (on any caller) stops
   * the block there; what it wrote of the block is not vouched for. */
  const char *group = "", *name = NULL;
  if (any_failed(h5, block_rows_write(h5, current_arm(h5)->params, H5T_NATIVE_DOUBLE, first, count,
                                      h5->n_params, block->params) != 0)) {
    name = "params";
  }
  for (size_t o = 0; name == NULL && o < h5->n_outputs; o++) {
    const float *rows = block->trajectories + o * block->capacity * h5->n_times;
    if (any_failed(h5, block_rows_write(h5, current_arm(h5)->trajectories[o], H5T_NATIVE_FLOAT,
                                        first, count, h5->n_times, rows) != 0)) {
      group = "trajectories/";
      name = h5->output_name[o];
    }
  }
  for (size_t e = 0; name == NULL && e < h5->n_endpoints; e++) {
    if (any_failed(h5, write_endpoint(h5, block, e, column) != 0)) {
      group = "endpoints/";
      name = h5->endpoint_info[e].name;
    }
  }
  free(column);
  if (name == NULL && current_arm(h5)->max_toci > 0
      && any_failed(h5, block_rows_write(h5, current_arm(h5)->toci_times, H5T_NATIVE_DOUBLE, first,
                                         count, current_arm(h5)->max_toci, block->toci_times) != 0)) {
    group = "events/";
    name = "toci_times";
  }
  if (name == NULL && h5->n_table_rows > 0) {
    long long *rows = malloc((count ? count : 1) * sizeof *rows);
    for (size_t k = 0; rows != NULL && k < count; k++) {
      rows[k] = cartp_table_row(h5->n_table_rows, h5->seed, first + k);
    }
    if (any_failed(h5, rows == NULL || block_rows_write(h5, current_arm(h5)->table_row,
                                                        H5T_NATIVE_LLONG, first, count, 0, rows) != 0)) {
      group = "patients/";
      name = "row";
    }
    free(rows);
  }
  if (name == NULL && current_arm(h5)->tumour_infusion >= 0
      && any_failed(h5, block_rows_write(h5, current_arm(h5)->tumour_infusion, H5T_NATIVE_DOUBLE,
                                         first, count, 0, block->tumour_infusion) != 0)) {
    name = "tumour_at_infusion";
  }
  if (name == NULL && any_failed(h5, block_rows_write(h5, current_arm(h5)->status, H5T_NATIVE_INT,
                                                      first, count, 0, block->status) != 0)) {
    name = "status";
  }
  if (name != NULL) {
    return cartp_error(err, CART_EIO, "cannot write patients %zu-%zu of '/%s%s' in '%s'", first,
                       last, group, name, h5->path);
  }
  /* A run killed after this returns keeps this block. */
  if (any_failed(h5, H5Fflush(h5->file, H5F_SCOPE_LOCAL) < 0)) {
    return cartp_error(err, CART_EIO, "cannot flush '%s' after patients %zu-%zu", h5->path, first,
                       last);
  }
  return CART_OK;
}

int cart_h5_write_block(cart_h5_file *file, const cart_trial_block *block)
{
  if (file == NULL) {
    return CART_EINVAL;
  }
  int status = CART_OK;
  H5E_BEGIN_TRY
  {
    status = h5_write_block(file, block);
  }
  H5E_END_TRY;
  return status;
}

/* ---- read back: the summary from the file ---- */

/* Reads rows [first, first + count) (count >= 1) of a rank-1 dataset into buf as mem_type. */
static int rows_read(hid_t dataset, hid_t mem_type, size_t first, size_t count, void *buf,
                     hid_t xfer)
{
  const hsize_t start[1] = {first};
  const hsize_t size[1] = {count};
  hid_t file_space = H5Dget_space(dataset);
  hid_t mem_space = H5Screate_simple(1, size, NULL);
  int status = -1;
  if (file_space >= 0 && mem_space >= 0
      && H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, size, NULL) >= 0
      && H5Dread(dataset, mem_type, mem_space, file_space, xfer, buf) >= 0) {
    status = 0;
  }
  status |= close_id(mem_space, H5Sclose);
  status |= close_id(file_space, H5Sclose);
  return status;
}

/* What the summary reads with: the file, the transfer properties and room for the status and
 * int32 rows of one read. */
typedef struct h5_reader {
  cart_h5_file *h5;
  hid_t xfer;
  int32_t *codes;
  int *status;
  size_t capacity;
} h5_reader;

static int reader_reserve(h5_reader *reader, size_t count)
{
  if (count <= reader->capacity) {
    return CART_OK;
  }
  free(reader->codes);
  free(reader->status);
  reader->codes = malloc(count * sizeof *reader->codes);
  reader->status = malloc(count * sizeof *reader->status);
  reader->capacity = reader->codes && reader->status ? count : 0;
  return reader->capacity ? CART_OK
                          : cartp_error(&reader->h5->error, CART_ENOMEM,
                                        "cannot read back '%s': out of memory",
                                        reader->h5->path);
}

/* Endpoint e of patients [first, first + count) as the block held it: int32 columns as doubles,
 * their fill value (a failed or unwritten patient) as NaN. */
static int read_endpoint(h5_reader *reader, size_t e, size_t first, size_t count, double *values)
{
  cart_h5_file *h5 = reader->h5;
  int failed;
  if (h5->endpoint_info[e].is_integer) {
    failed = reader_reserve(reader, count) != CART_OK
             || rows_read(current_arm(h5)->endpoints[e], H5T_NATIVE_INT32, first, count, reader->codes,
                          reader->xfer) != 0;
    for (size_t k = 0; !failed && k < count; k++) {
      values[k] = reader->codes[k] == INT_ENDPOINT_FILL ? NAN : (double)reader->codes[k];
    }
  } else {
    failed = rows_read(current_arm(h5)->endpoints[e], H5T_NATIVE_DOUBLE, first, count, values, reader->xfer)
             != 0;
  }
  if (failed) {
    return h5->error.code != CART_OK
               ? h5->error.code
               : cartp_error(&h5->error, CART_EIO,
                             "cannot read back patients %zu-%zu of '/endpoints/%s' in '%s'",
                             first, first + count - 1, h5->endpoint_info[e].name, h5->path);
  }
  return CART_OK;
}

static int read_status(h5_reader *reader, size_t first, size_t count, int *status)
{
  if (rows_read(current_arm(reader->h5)->status, H5T_NATIVE_INT, first, count, status, reader->xfer) != 0) {
    return cartp_error(&reader->h5->error, CART_EIO,
                       "cannot read back patients %zu-%zu of '/status' in '%s'", first,
                       first + count - 1, reader->h5->path);
  }
  return CART_OK;
}

/* The summary's cart_endpoint_reader: the column, NaN for every patient not solved. */
static int read_solved(void *data, size_t endpoint, size_t first, size_t count, double *values)
{
  h5_reader *reader = data;
  if (endpoint >= reader->h5->n_endpoints || count == 0) {
    return count == 0 ? CART_OK : CART_EINVAL;
  }
  int status = reader_reserve(reader, count);
  if (status == CART_OK) {
    status = read_status(reader, first, count, reader->status);
  }
  if (status == CART_OK) {
    status = read_endpoint(reader, endpoint, first, count, values);
  }
  for (size_t k = 0; status == CART_OK && k < count; k++) {
    if (reader->status[k] != CART_OK) {
      values[k] = NAN;
    }
  }
  return status;
}

/* Patients per read of the counting pass: 16 Ki rows of the block (1.7 MiB), independent of N. */
#define SUMMARY_ROWS 16384

static int h5_summarize(cart_h5_file *h5, cart_trial_summary *summary)
{
  cart_error *err = &h5->error;
  if (summary == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_h5_summarize: summary is NULL");
  }
  cart_error_clear(err);
  const size_t n_endpoints = h5->n_endpoints;
  const size_t rows = h5->n_patients < SUMMARY_ROWS ? h5->n_patients : SUMMARY_ROWS;
  h5_reader reader = {h5, h5->access.read_xfer, NULL, NULL, 0};
  cart_trial_block block;
  memset(&block, 0, sizeof block);
  block.capacity = rows;
  block.model = h5->model;
  block.n_endpoints = n_endpoints;
  block.endpoints = malloc((rows ? rows : 1) * (n_endpoints ? n_endpoints : 1)
                           * sizeof *block.endpoints);
  block.status = malloc((rows ? rows : 1) * sizeof *block.status);
  double *column = malloc((rows ? rows : 1) * sizeof *column);
  cart_summary_acc *acc =
      cart_summary_acc_new_reader(h5->model, h5->n_patients, read_solved, &reader, err);
  int status = CART_OK;
  if (reader.xfer < 0) {
    status = cartp_error(err, CART_EIO, "cannot read back '%s'", h5->path);
  } else if (acc == NULL) {
    status = err->code;
  } else if (block.endpoints == NULL || block.status == NULL || column == NULL) {
    status = cartp_error(err, CART_ENOMEM, "cannot read back '%s': out of memory", h5->path);
  }
  for (size_t first = 0; status == CART_OK && first < h5->n_patients; first += rows) {
    const size_t count = h5->n_patients - first < rows ? h5->n_patients - first : rows;
    block.first = first;
    block.count = count;
    status = read_status(&reader, first, count, block.status);
    /* every column: the counts, the sums of the means and the levels need them all */
    for (size_t e = 0; status == CART_OK && e < n_endpoints; e++) {
      status = read_endpoint(&reader, e, first, count, column);
      for (size_t k = 0; status == CART_OK && k < count; k++) {
        block.endpoints[k * n_endpoints + e] = column[k];
      }
    }
    if (status == CART_OK) {
      status = cart_summary_acc_add(acc, &block);
    }
  }
  if (status == CART_OK) {
    status = cart_summary_acc_get(acc, summary);
    if (status != CART_OK && err->code == CART_OK) {
      cartp_error(err, status, "cannot compute the percentiles of '%s': %s", h5->path,
                  cart_strerror(status));
    }
  }
  cart_summary_acc_free(acc);
  free(column);
  free(block.endpoints);
  free(block.status);
  free(reader.codes);
  free(reader.status);
  return status;
}

int cart_h5_summarize(cart_h5_file *file, cart_trial_summary *summary)
{
  if (file == NULL) {
    return CART_EINVAL;
  }
  int status = CART_OK;
  H5E_BEGIN_TRY
  {
    status = h5_summarize(file, summary);
  }
  H5E_END_TRY;
  return status;
}

/* ---- finish and close ---- */

/* Group `name` of loc, created when it is not there (a second cart_h5_finish rewrites the
 * attributes of the groups the first made); a negative id on failure. */
static hid_t group_open_or_create(hid_t loc, const char *name)
{
  const htri_t exists = H5Lexists(loc, name, H5P_DEFAULT);
  return exists > 0    ? H5Gopen2(loc, name, H5P_DEFAULT)
         : exists == 0 ? H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                       : H5I_INVALID_HID;
}

/* /summary/endpoints/<name>: the attributes of one cart_endpoint_summary, with the unit; the
 * level counts only for an integer endpoint. */
static int write_endpoint_summary(hid_t endpoints, const cart_endpoint_info *info,
                                  const cart_endpoint_summary *s)
{
  hid_t group = group_open_or_create(endpoints, info->name);
  if (group < 0) {
    return -1;
  }
  int failed = attr_string(group, "unit", info->unit);
  failed |= attr_uint64(group, "n_number", (uint64_t)s->n_number);
  const struct {
    const char *name;
    double value;
  } values[] = {{"mean", s->mean}, {"p5", s->p5},   {"p25", s->p25},
                {"p50", s->p50},   {"p75", s->p75}, {"p95", s->p95}};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
    failed |= attr_double(group, values[i].name, values[i].value);
  }
  if (info->is_integer) {
    uint64_t levels[CART_SUMMARY_MAX_LEVEL + 1];
    for (size_t v = 0; v <= CART_SUMMARY_MAX_LEVEL; v++) {
      levels[v] = s->n_level[v];
    }
    failed |= attr_write(group, "n_level", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                         CART_SUMMARY_MAX_LEVEL + 1, levels);
    failed |= attr_uint64(group, "n_above", (uint64_t)s->n_above);
  }
  failed |= close_id(group, H5Gclose);
  return failed;
}

static int h5_finish(cart_h5_file *h5, const cart_trial_summary *summary)
{
  cart_error *err = &h5->error;
  if (summary == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_h5_finish: summary is NULL");
  }
  if (summary->n_endpoints != h5->n_endpoints || h5->n_endpoints > CART_SUMMARY_MAX_ENDPOINTS) {
    return cartp_error(err, CART_EINVAL,
                       "cart_h5_finish: the summary has %zu endpoints, the file's model %zu",
                       summary->n_endpoints, h5->n_endpoints);
  }
  hid_t group = group_open_or_create(current_arm(h5)->group, "summary");
  if (group < 0) {
    return cartp_error(err, CART_EIO, "cannot create group '/summary' in '%s'", h5->path);
  }
  int failed = 0;
#define WRITE_COUNT_(field) failed |= attr_uint64(group, #field, (uint64_t)summary->field);
#define WRITE_VALUE_(field) failed |= attr_double(group, #field, summary->field);
  SUMMARY_COUNTS(WRITE_COUNT_)
  SUMMARY_VALUES(WRITE_VALUE_)
#undef WRITE_COUNT_
#undef WRITE_VALUE_
  /* the model's order, which HDF5's (alphabetical) listing of the groups loses */
  hid_t endpoints = group_open_or_create(group, "endpoints");
  const char *names[CART_SUMMARY_MAX_ENDPOINTS];
  for (size_t e = 0; e < h5->n_endpoints; e++) {
    names[e] = h5->endpoint_info[e].name;
  }
  failed |= endpoints < 0 || attr_strings(endpoints, "names", names, h5->n_endpoints) != 0;
  for (size_t e = 0; !failed && e < h5->n_endpoints; e++) {
    failed |= write_endpoint_summary(endpoints, &h5->endpoint_info[e], &summary->endpoints[e]);
  }
  failed |= close_id(endpoints, H5Gclose);
  failed |= close_id(group, H5Gclose);
  if (failed) {
    return cartp_error(err, CART_EIO, "cannot write the attributes of '/summary' in '%s'",
                       h5->path);
  }
  /* complete = 1 must not reach the disk before everything it vouches for: every arm's
   * summary. */
  if (H5Fflush(h5->file, H5F_SCOPE_LOCAL) < 0) {
    return cartp_error(err, CART_EIO, "cannot flush '%s'", h5->path);
  }
  current_arm(h5)->finished = 1;
  for (size_t a = 0; a < h5->n_arms; a++) {
    if (!h5->arms[a].finished) {
      return CART_OK;
    }
  }
  if (attr_int32(h5->file, "complete", 1) != 0) {
    return cartp_error(err, CART_EIO, "cannot set attribute 'complete' of '%s'", h5->path);
  }
  if (H5Fflush(h5->file, H5F_SCOPE_LOCAL) < 0) {
    return cartp_error(err, CART_EIO, "cannot flush '%s'", h5->path);
  }
  return CART_OK;
}

int cart_h5_finish(cart_h5_file *file, const cart_trial_summary *summary)
{
  if (file == NULL) {
    return CART_EINVAL;
  }
  int status = CART_OK;
  H5E_BEGIN_TRY
  {
    status = h5_finish(file, summary);
  }
  H5E_END_TRY;
  return status;
}

int cart_h5_select_arm(cart_h5_file *file, size_t arm)
{
  if (file == NULL) {
    return CART_EINVAL;
  }
  if (arm >= file->n_arms) {
    return cartp_error(&file->error, CART_EINVAL,
                       "cart_h5_select_arm: arm %zu of a file of %zu arm%s ('%s')", arm,
                       file->n_arms, file->n_arms == 1 ? "" : "s", file->path);
  }
  file->arm = arm;
  return CART_OK;
}

size_t cart_h5_n_arms(const cart_h5_file *file)
{
  return file ? file->n_arms : 0;
}

int cartp_arms_view_init(cartp_arms_view *view, const cart_arms *arms, cart_error *err)
{
  memset(view, 0, sizeof *view);
  view->count = cart_arms_count(arms);
  if (view->count == 0) {
    return cartp_error(err, CART_EINVAL, "cart_h5_file_new_arms: no arms");
  }
  for (size_t a = 0; a < view->count; a++) {
    view->trials[a] = cart_arms_trial_const(arms, a);
    view->names_storage[a] = cart_arms_name(arms, a);
    view->labels[a] = cart_arms_label(arms, a);
  }
  view->names = view->names_storage[0] != NULL ? view->names_storage : NULL;
  return CART_OK;
}

int cartp_arms_view_prepare(cartp_arms_view *view, cart_arms *arms, cart_trial *trial,
                            const char *path, const char *caller, cart_error *err)
{
  memset(view, 0, sizeof *view);
  if ((arms == NULL && trial == NULL) || path == NULL) {
    return cartp_error(err, CART_EINVAL, "%s: %s and path must be given", caller,
                       strstr(caller, "arms") != NULL ? "arms" : "trial");
  }
  if (arms != NULL) {
    return cart_arms_prepare(arms) != CART_OK ? cartp_error_copy(err, cart_arms_last_error(arms))
                                              : cartp_arms_view_init(view, arms, err);
  }
  view->trials[0] = trial;
  view->count = 1;
  return cart_trial_prepare(trial) != CART_OK ? cartp_error_copy(err, cart_trial_last_error(trial))
                                              : CART_OK;
}

int cart_h5_file_free(cart_h5_file *file)
{
  if (file == NULL) {
    return CART_OK;
  }
  int failed = 0;
  H5E_BEGIN_TRY
  {
    failed = handle_close_ids(file);
  }
  H5E_END_TRY;
  handle_free(file);
  return failed ? CART_EIO : CART_OK;
}

const cart_error *cart_h5_last_error(const cart_h5_file *file)
{
  return file ? &file->error : NULL;
}
