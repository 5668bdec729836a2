/* check_hdf5.c: the HDF5 trial file (cart_hdf5.h): layout, values, attributes, refusals, and what
 * an interrupted run leaves. Blocks are filled by hand with known numbers (nothing is solved) and
 * the files are read back with the HDF5 C API. */
#define _XOPEN_SOURCE 700 /* mknod */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cart/cart_hdf5.h>
#include <cart/cart_trial.h>

#include "test_util.h"

#define N_PATIENTS 10
#define N_TIMES 4
#define FAILED_PATIENT 3 /* gets a failed status and NaN endpoints */
#define INT_ENDPOINT_FILL INT32_MIN
#define STATUS_FILL INT32_MIN /* not -1: that is CART_EINVAL */

static const double test_times[N_TIMES] = {0, 1, 7, 28};
static const char scenario_text[] = "[trial]\nmodel = cart\nn_patients = 10\nseed = 12345\n";

/* ---- the known numbers ---- */

static double param_value(size_t patient, size_t i)
{
  return 1000.0 * (double)patient + (double)i + 0.25;
}

static float trajectory_value(size_t patient, size_t output, size_t j)
{
  return (float)(100.0 * (double)patient + 10.0 * (double)output + (double)j + 0.5);
}

static int patient_status(size_t patient)
{
  return patient == FAILED_PATIENT ? CART_EMAXSTEPS : CART_OK;
}

/* What the block holds: whole numbers for integer endpoints, NaN for the failed patient. */
static double endpoint_value(size_t patient, size_t e, int is_integer)
{
  if (patient == FAILED_PATIENT) {
    return NAN;
  }
  return is_integer ? (double)((patient + e) % 5) : (double)patient + (double)e / 64.0;
}

/* ---- fixtures ---- */

/* Every file lives under one mkdtemp directory, made before the tests and removed after them in
 * the runner's process, so a failed test (which skips its own clean-up) leaves nothing behind. */
static char test_root[32];

typedef struct test_files {
  char dir[64];
  char path[96];
} test_files;

/* Removes `path` and, if it is a directory, everything below it; 0 on success. */
static int tree_remove(const char *path)
{
  struct stat info;
  if (lstat(path, &info) != 0) {
    return -1;
  }
  if (S_ISDIR(info.st_mode)) {
    DIR *dir = opendir(path);
    if (dir == NULL) {
      return -1;
    }
    struct dirent *entry;
    int status = 0;
    while ((entry = readdir(dir)) != NULL) {
      if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
        char child[512];
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        status |= tree_remove(child);
      }
    }
    closedir(dir);
    return status | rmdir(path);
  }
  return unlink(path);
}

static void root_make(void)
{
  strcpy(test_root, "/tmp/cart-h5-XXXXXX");
  if (mkdtemp(test_root) == NULL) {
    perror("check_hdf5: mkdtemp");
    exit(EXIT_FAILURE);
  }
}

static void root_remove(void)
{
  if (tree_remove(test_root) != 0) {
    fprintf(stderr, "check_hdf5: cannot remove %s\n", test_root);
  }
}

static void files_make(test_files *files)
{
  snprintf(files->dir, sizeof files->dir, "%s/test-XXXXXX", test_root);
  ck_assert_ptr_nonnull(mkdtemp(files->dir));
  snprintf(files->path, sizeof files->path, "%s/trial.h5", files->dir);
}

/* Removes the test's directory and its files. */
static void files_remove(test_files *files)
{
  ck_assert_int_eq(tree_remove(files->dir), 0);
}

static cart_trial *trial_make(void)
{
  cart_error err;
  cart_trial *trial = cart_trial_new(cart_model_find("cart", NULL), &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, N_PATIENTS), CART_OK);
  ck_assert_int_eq(cart_trial_set_times(trial, test_times, N_TIMES), CART_OK);
  cart_trial_set_seed(trial, 12345);
  ck_assert_uint_ge(cart_trial_n_outputs(trial), 1);
  return trial;
}

/* Fills patients [first, first + count) by hand. */
static void block_fill(cart_trial_block *block, size_t first, size_t count)
{
  ck_assert_uint_le(count, block->capacity);
  block->first = first;
  block->count = count;
  for (size_t k = 0; k < count; k++) {
    const size_t patient = first + k;
    for (size_t i = 0; i < block->n_params; i++) {
      block->params[k * block->n_params + i] = param_value(patient, i);
    }
    for (size_t o = 0; o < block->n_outputs; o++) {
      for (size_t j = 0; j < block->n_times; j++) {
        block->trajectories[(o * block->capacity + k) * block->n_times + j] =
            trajectory_value(patient, o, j);
      }
    }
    for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
      cart_endpoint_info info;
      ck_assert_int_eq(cart_endpoint_get_info(e, &info), CART_OK);
      block->endpoints[k * CART_N_ENDPOINTS + e] = endpoint_value(patient, e, info.is_integer);
    }
    block->status[k] = patient_status(patient);
  }
}

static cart_trial_summary summary_make(void)
{
  cart_trial_summary s;
  memset(&s, 0, sizeof s);
  s.n_patients = N_PATIENTS;
  s.n_solved = N_PATIENTS - 1;
  double *fields[] = {&s.cr_rate,   &s.orr_rate,  &s.crs_any_rate,    &s.crs_grade3_rate,
                      &s.toci_rate, &s.toci_doses_mean, &s.cmax_p5,   &s.cmax_p50,
                      &s.cmax_p95,  &s.tmax_p5,   &s.tmax_p50,        &s.tmax_p95,
                      &s.auc28_p5,  &s.auc28_p50, &s.auc28_p95,       &s.aplasia_days_p50,
                      &s.relapse_rate, &s.relapse_negative_rate};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    *fields[i] = 0.5 + (double)i;
  }
  /* every endpoint's, with values of its own (100 e + 0.25 j, counts 10 e + v) */
  s.n_endpoints = CART_N_ENDPOINTS;
  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_summary *p = &s.endpoints[e];
    p->n_number = 3 + e;
    double *values[] = {&p->mean, &p->p5, &p->p25, &p->p50, &p->p75, &p->p95};
    for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
      *values[j] = 100.0 * (double)e + 0.25 * (double)j;
    }
    for (size_t v = 0; v <= CART_SUMMARY_MAX_LEVEL; v++) {
      p->n_level[v] = 10 * e + v;
    }
    p->n_above = 1000 + e;
  }
  return s;
}

/* Creates `path` for `trial` and writes patients 0, 1, ... in consecutive blocks of counts[0],
 * counts[1], ... (n_blocks of them) from one block of capacity 6 (so a later block may have
 * count < capacity). */
static cart_h5_file *file_write(const char *path, cart_trial *trial, size_t chunk_patients,
                                const size_t *counts, size_t n_blocks)
{
  cart_error err;
  cart_h5_file *h5 = cart_h5_file_new(path, trial, scenario_text, 0, chunk_patients, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  cart_trial_block *block = cart_trial_block_new(trial, 6, &err);
  ck_assert_msg(block != NULL, "%s", err.message);
  for (size_t b = 0, first = 0; b < n_blocks; first += counts[b++]) {
    block_fill(block, first, counts[b]);
    ck_assert_msg(cart_h5_write_block(h5, block) == CART_OK, "%s",
                  cart_h5_last_error(h5)->message);
  }
  cart_trial_block_free(block);
  ck_assert_int_eq(cart_h5_last_error(h5)->code, CART_OK);
  return h5;
}

/* ---- reading back ---- */

/* A string attribute of `object` (relative to loc), as a new string; checks it is a string. */
static char *attr_string(hid_t loc, const char *object, const char *name)
{
  hid_t attr = H5Aopen_by_name(loc, object, name, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_msg(attr >= 0, "no attribute '%s' on '%s'", name, object);
  hid_t type = H5Aget_type(attr);
  ck_assert_int_eq(H5Tget_class(type), H5T_STRING);
  ck_assert_int_gt(H5Tis_variable_str(type), 0);
  hid_t space = H5Aget_space(attr);
  ck_assert_int_eq(H5Sget_simple_extent_type(space), H5S_SCALAR);
  char *value = NULL;
  ck_assert_int_ge(H5Aread(attr, type, &value), 0);
  ck_assert_ptr_nonnull(value);
  char *copy = strdup(value);
  H5free_memory(value);
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(attr);
  return copy;
}

static void assert_attr_string(hid_t loc, const char *object, const char *name,
                               const char *expected)
{
  char *value = attr_string(loc, object, name);
  ck_assert_msg(strcmp(value, expected) == 0, "%s of '%s': '%s', expected '%s'", name, object,
                value, expected);
  free(value);
}

/* A string-array attribute with n elements; checks each against expected[i]. */
static void assert_attr_strings(hid_t loc, const char *object, const char *name,
                                const char *const *expected, size_t n)
{
  hid_t attr = H5Aopen_by_name(loc, object, name, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_msg(attr >= 0, "no attribute '%s' on '%s'", name, object);
  hid_t type = H5Aget_type(attr);
  ck_assert_int_gt(H5Tis_variable_str(type), 0);
  hid_t space = H5Aget_space(attr);
  hsize_t dims[1];
  ck_assert_int_eq(H5Sget_simple_extent_ndims(space), 1);
  H5Sget_simple_extent_dims(space, dims, NULL);
  ck_assert_uint_eq(dims[0], n);
  char **values = calloc(n, sizeof *values);
  ck_assert_int_ge(H5Aread(attr, type, values), 0);
  for (size_t i = 0; i < n; i++) {
    ck_assert_str_eq(values[i], expected[i]);
  }
  ck_assert_int_ge(H5Dvlen_reclaim(type, space, H5P_DEFAULT, values), 0);
  free(values);
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(attr);
}

/* A scalar numeric attribute, checked to be stored as file_type, read as mem_type. */
static void attr_read(hid_t loc, const char *object, const char *name, hid_t file_type,
                      hid_t mem_type, void *value)
{
  hid_t attr = H5Aopen_by_name(loc, object, name, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_msg(attr >= 0, "no attribute '%s' on '%s'", name, object);
  hid_t type = H5Aget_type(attr);
  ck_assert_msg(H5Tequal(type, file_type) > 0, "attribute '%s' of '%s' has another type", name,
                object);
  hid_t space = H5Aget_space(attr);
  ck_assert_int_eq(H5Sget_simple_extent_type(space), H5S_SCALAR);
  ck_assert_int_ge(H5Aread(attr, mem_type, value), 0);
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(attr);
}

static int32_t attr_int32(hid_t loc, const char *object, const char *name)
{
  int32_t value;
  attr_read(loc, object, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &value);
  return value;
}

static uint64_t attr_uint64(hid_t loc, const char *object, const char *name)
{
  uint64_t value;
  attr_read(loc, object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
  return value;
}

/* /summary/endpoints: the names in the model's order, and a group per endpoint whose attributes
 * are its cart_endpoint_summary's (the level counts only for an integer endpoint). */
static void assert_endpoint_summaries(hid_t file, const cart_trial_summary *s)
{
  const char *names[CART_N_ENDPOINTS];
  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_info info;
    ck_assert_int_eq(cart_endpoint_get_info(e, &info), CART_OK);
    names[e] = info.name;
  }
  assert_attr_strings(file, "/summary/endpoints", "names", names, CART_N_ENDPOINTS);
  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_info info;
    cart_endpoint_get_info(e, &info);
    char object[64];
    snprintf(object, sizeof object, "/summary/endpoints/%s", info.name);
    const cart_endpoint_summary *p = &s->endpoints[e];
    assert_attr_string(file, object, "unit", info.unit);
    ck_assert_uint_eq(attr_uint64(file, object, "n_number"), p->n_number);
    const struct {
      const char *name;
      double expected;
    } values[] = {{"mean", p->mean}, {"p5", p->p5},   {"p25", p->p25},
                  {"p50", p->p50},   {"p75", p->p75}, {"p95", p->p95}};
    for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
      double value;
      attr_read(file, object, values[j].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
      ck_assert_double_eq(value, values[j].expected);
    }
    const htri_t has_levels = H5Aexists_by_name(file, object, "n_level", H5P_DEFAULT);
    ck_assert_int_eq(has_levels, info.is_integer);
    ck_assert_int_eq(H5Aexists_by_name(file, object, "n_above", H5P_DEFAULT), info.is_integer);
    if (info.is_integer) {
      ck_assert_uint_eq(attr_uint64(file, object, "n_above"), p->n_above);
      hid_t attr = H5Aopen_by_name(file, object, "n_level", H5P_DEFAULT, H5P_DEFAULT);
      hid_t space = H5Aget_space(attr);
      hsize_t dims[1] = {0};
      ck_assert_int_eq(H5Sget_simple_extent_ndims(space), 1);
      H5Sget_simple_extent_dims(space, dims, NULL);
      ck_assert_uint_eq(dims[0], CART_SUMMARY_MAX_LEVEL + 1);
      uint64_t levels[CART_SUMMARY_MAX_LEVEL + 1];
      ck_assert_int_ge(H5Aread(attr, H5T_NATIVE_UINT64, levels), 0);
      for (size_t v = 0; v <= CART_SUMMARY_MAX_LEVEL; v++) {
        ck_assert_uint_eq(levels[v], p->n_level[v]);
      }
      H5Sclose(space);
      H5Aclose(attr);
    }
  }
}

/* Reads dataset `name` (checked: stored as file_type, rank and dims as given, chunked by
 * chunk_rows rows with shuffle and deflate unless chunk_rows == 0) into a new buffer. */
static void *dataset_read(hid_t file, const char *name, hid_t file_type, hid_t mem_type,
                          int rank, hsize_t rows, hsize_t columns, hsize_t chunk_rows)
{
  hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
  ck_assert_msg(dataset >= 0, "no dataset '%s'", name);
  hid_t type = H5Dget_type(dataset);
  ck_assert_msg(H5Tequal(type, file_type) > 0, "dataset '%s' has another type", name);
  hid_t space = H5Dget_space(dataset);
  ck_assert_int_eq(H5Sget_simple_extent_ndims(space), rank);
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space, dims, NULL);
  ck_assert_uint_eq(dims[0], rows);
  if (rank == 2) {
    ck_assert_uint_eq(dims[1], columns);
  }
  hid_t dcpl = H5Dget_create_plist(dataset);
  if (chunk_rows > 0) {
    ck_assert_int_eq(H5Pget_layout(dcpl), H5D_CHUNKED);
    hsize_t chunk[2] = {0, 0};
    ck_assert_int_eq(H5Pget_chunk(dcpl, 2, chunk), rank);
    ck_assert_msg(chunk[0] == chunk_rows, "chunk of '%s': %llu rows", name,
                  (unsigned long long)chunk[0]);
    if (rank == 2) {
      ck_assert_uint_eq(chunk[1], columns);
    }
    ck_assert_int_eq(H5Pget_nfilters(dcpl), 2);
    unsigned flags, level = 0;
    size_t n_values = 1;
    ck_assert_int_eq(H5Pget_filter2(dcpl, 0, &flags, &n_values, &level, 0, NULL, NULL),
                     H5Z_FILTER_SHUFFLE);
    n_values = 1;
    ck_assert_int_eq(H5Pget_filter2(dcpl, 1, &flags, &n_values, &level, 0, NULL, NULL),
                     H5Z_FILTER_DEFLATE);
    ck_assert_uint_eq(level, 1); /* layout.c: DEFLATE_LEVEL */
  }
  const size_t n = (size_t)rows * (rank == 2 ? (size_t)columns : 1);
  void *data = malloc((n ? n : 1) * H5Tget_size(mem_type));
  ck_assert_ptr_nonnull(data);
  ck_assert_int_ge(H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(dataset);
  return data;
}

static hid_t file_open(const char *path)
{
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert_msg(file >= 0, "cannot open '%s'", path);
  return file;
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int is_iso8601_utc(const char *text)
{
  static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
  if (strlen(text) != sizeof pattern - 1) {
    return 0;
  }
  for (size_t i = 0; pattern[i]; i++) {
    if (pattern[i] == 'd' ? !(text[i] >= '0' && text[i] <= '9') : text[i] != pattern[i]) {
      return 0;
    }
  }
  return 1;
}

/* Checks every dataset against the known numbers; patients from `written` on must read as the
 * fill values. */
static void assert_datasets(hid_t file, const cart_trial *trial, size_t written,
                            hsize_t chunk_rows)
{
  const cart_model *model = cart_trial_model(trial);
  const size_t n_params = cart_model_n_params(model);

  double *time = dataset_read(file, "/time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, N_TIMES, 0, 0);
  for (size_t j = 0; j < N_TIMES; j++) {
    ck_assert_double_eq(time[j], test_times[j]);
  }
  free(time);
  assert_attr_string(file, "/time", "unit", "day");

  double *params = dataset_read(file, "/params", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2,
                                N_PATIENTS, n_params, chunk_rows);
  for (size_t p = 0; p < N_PATIENTS; p++) {
    for (size_t i = 0; i < n_params; i++) {
      const double value = params[p * n_params + i];
      if (p < written) {
        ck_assert_double_eq(value, param_value(p, i));
      } else {
        ck_assert(isnan(value));
      }
    }
  }
  free(params);
  const char **names = calloc(n_params, sizeof *names);
  const char **units = calloc(n_params, sizeof *units);
  for (size_t i = 0; i < n_params; i++) {
    cart_param_info info;
    ck_assert_int_eq(cart_model_param_info(model, i, &info), CART_OK);
    names[i] = info.name;
    units[i] = info.unit;
  }
  assert_attr_strings(file, "/params", "names", names, n_params);
  assert_attr_strings(file, "/params", "units", units, n_params);
  free(names);
  free(units);

  for (size_t o = 0; o < cart_trial_n_outputs(trial); o++) {
    const char *name, *unit;
    ck_assert_int_eq(cart_trial_output_info(trial, o, &name, &unit), CART_OK);
    char path[128];
    snprintf(path, sizeof path, "/trajectories/%s", name);
    float *values = dataset_read(file, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, N_PATIENTS,
                                 N_TIMES, chunk_rows);
    for (size_t p = 0; p < N_PATIENTS; p++) {
      for (size_t j = 0; j < N_TIMES; j++) {
        const float value = values[p * N_TIMES + j];
        if (p < written) {
          ck_assert_float_eq(value, trajectory_value(p, o, j));
        } else {
          ck_assert(isnan(value));
        }
      }
    }
    free(values);
    assert_attr_string(file, path, "unit", unit);
  }

  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_info info;
    ck_assert_int_eq(cart_endpoint_get_info(e, &info), CART_OK);
    char path[128];
    snprintf(path, sizeof path, "/endpoints/%s", info.name);
    if (info.is_integer) {
      int32_t *values = dataset_read(file, path, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, N_PATIENTS,
                                     0, chunk_rows);
      for (size_t p = 0; p < N_PATIENTS; p++) {
        const int32_t expected = p < written && p != FAILED_PATIENT
                                     ? (int32_t)endpoint_value(p, e, 1)
                                     : INT_ENDPOINT_FILL;
        ck_assert_int_eq(values[p], expected);
      }
      free(values);
    } else {
      double *values = dataset_read(file, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                    N_PATIENTS, 0, chunk_rows);
      for (size_t p = 0; p < N_PATIENTS; p++) {
        if (p < written && p != FAILED_PATIENT) {
          ck_assert_double_eq(values[p], endpoint_value(p, e, 0));
        } else {
          ck_assert(isnan(values[p]));
        }
      }
      free(values);
    }
    assert_attr_string(file, path, "unit", info.unit);
  }

  int *status = dataset_read(file, "/status", H5T_STD_I32LE, H5T_NATIVE_INT, 1, N_PATIENTS, 0,
                             chunk_rows);
  for (size_t p = 0; p < N_PATIENTS; p++) {
    ck_assert_int_eq(status[p], p < written ? patient_status(p) : STATUS_FILL);
  }
  free(status);
}

static void assert_root(hid_t file, const cart_trial *trial, const char *scenario,
                        int32_t complete)
{
  assert_attr_string(file, "/", "libcart_version", cart_version());
  assert_attr_string(file, "/", "model", "cart");
  assert_attr_string(file, "/", "scenario", scenario);
  ck_assert_uint_eq(attr_uint64(file, "/", "seed"), 12345);
  ck_assert_uint_eq(attr_uint64(file, "/", "n_patients"), cart_trial_n_patients(trial));
  ck_assert_int_eq(attr_int32(file, "/", "complete"), complete);
  char *created = attr_string(file, "/", "created");
  ck_assert_msg(is_iso8601_utc(created), "created: '%s'", created);
  free(created);
}

/* ---- tests ---- */

START_TEST(test_layout_and_values)
{
  test_files files;
  files_make(&files);
  cart_trial *trial = trial_make();
  /* chunks of 4 patients: blocks of 6 and 4 do not line up with them */
  static const size_t counts[] = {6, 4};
  cart_h5_file *h5 = file_write(files.path, trial, 4, counts, 2);
  const cart_trial_summary summary = summary_make();
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);

  hid_t file = file_open(files.path);
  assert_root(file, trial, scenario_text, 1);
  assert_datasets(file, trial, N_PATIENTS, 4);

  /* /summary: one attribute per field of cart_trial_summary, named as the field */
  ck_assert_uint_eq(attr_uint64(file, "/summary", "n_patients"), summary.n_patients);
  ck_assert_uint_eq(attr_uint64(file, "/summary", "n_solved"), summary.n_solved);
  static const struct {
    const char *name;
    size_t offset;
  } fields[] = {
#define FIELD_(name) {#name, offsetof(cart_trial_summary, name)}
      FIELD_(cr_rate),      FIELD_(orr_rate),         FIELD_(crs_any_rate),
      FIELD_(crs_grade3_rate), FIELD_(toci_rate),     FIELD_(toci_doses_mean),
      FIELD_(cmax_p5),      FIELD_(cmax_p50),         FIELD_(cmax_p95),
      FIELD_(tmax_p5),      FIELD_(tmax_p50),         FIELD_(tmax_p95),
      FIELD_(auc28_p5),     FIELD_(auc28_p50),        FIELD_(auc28_p95),
      FIELD_(aplasia_days_p50), FIELD_(relapse_rate), FIELD_(relapse_negative_rate),
      FIELD_(cr_rate_itt),  FIELD_(orr_rate_itt),     FIELD_(cost_per_patient),
      FIELD_(cost_per_infused), FIELD_(cost_per_cr),
#undef FIELD_
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    double value;
    attr_read(file, "/summary", fields[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
    double expected;
    memcpy(&expected, (const char *)&summary + fields[i].offset, sizeof expected);
    /* the costs of a trial without them are NaN */
    ck_assert_msg(value == expected || (isnan(value) && isnan(expected)), "%s: %g vs %g",
                  fields[i].name, value, expected);
  }
  ck_assert_uint_eq(attr_uint64(file, "/summary", "n_dropout"), summary.n_dropout);
  hid_t group = H5Gopen2(file, "/summary", H5P_DEFAULT);
  H5O_info_t info;
  ck_assert_int_ge(H5Oget_info2(group, &info, H5O_INFO_NUM_ATTRS), 0);
  ck_assert_uint_eq(info.num_attrs, 3 + sizeof fields / sizeof fields[0]);
  H5Gclose(group);
  assert_endpoint_summaries(file, &summary);
  /* one dataset per output and per endpoint, nothing else */
  hid_t trajectories = H5Gopen2(file, "/trajectories", H5P_DEFAULT);
  H5G_info_t group_info;
  ck_assert_int_ge(H5Gget_info(trajectories, &group_info), 0);
  ck_assert_uint_eq(group_info.nlinks, cart_trial_n_outputs(trial));
  H5Gclose(trajectories);
  hid_t endpoints = H5Gopen2(file, "/endpoints", H5P_DEFAULT);
  ck_assert_int_ge(H5Gget_info(endpoints, &group_info), 0);
  ck_assert_uint_eq(group_info.nlinks, CART_N_ENDPOINTS);
  H5Gclose(endpoints);
  ck_assert_int_ge(H5Fclose(file), 0);

  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

/* Chunks are min(chunk_patients, N) rows; a NULL scenario is stored as "". */
START_TEST(test_chunk_larger_than_trial)
{
  test_files files;
  files_make(&files);
  cart_trial *trial = trial_make();
  cart_error err;
  cart_h5_file *h5 = cart_h5_file_new(files.path, trial, NULL, 0, 1000, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  cart_trial_block *block = cart_trial_block_new(trial, N_PATIENTS, &err);
  ck_assert_ptr_nonnull(block);
  block_fill(block, 0, N_PATIENTS);
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_OK);
  cart_trial_block_free(block);
  cart_trial_summary summary = summary_make();
  /* a summary of another model's endpoints is refused */
  summary.n_endpoints = 3;
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_EINVAL);
  ck_assert_ptr_nonnull(strstr(cart_h5_last_error(h5)->message, "has 3 endpoints"));
  summary.n_endpoints = CART_N_ENDPOINTS;
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK);
  summary.endpoints[2].p50 = -7.5;
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK); /* a second call rewrites */
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);

  hid_t file = file_open(files.path);
  assert_root(file, trial, "", 1);
  assert_datasets(file, trial, N_PATIENTS, N_PATIENTS);
  assert_endpoint_summaries(file, &summary);
  H5Fclose(file);
  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

/* Blocks of whole chunks are shuffled and deflated by libcart itself (lib/io/chunk_write.c) and
 * stored as they are, with the datasets' pipeline declared as ever: HDF5 reads them back through
 * its own filters. Chunks of 3 patients, written as blocks of 6 (two chunks), 3 and 1 (the
 * dataset's last chunk, which reaches past its end). */
START_TEST(test_whole_chunks)
{
  test_files files;
  files_make(&files);
  cart_trial *trial = trial_make();
  static const size_t counts[] = {6, 3, 1};
  cart_h5_file *h5 = file_write(files.path, trial, 3, counts, 3);
  const cart_trial_summary summary = summary_make();
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);

  hid_t file = file_open(files.path);
  assert_root(file, trial, scenario_text, 1);
  assert_datasets(file, trial, N_PATIENTS, 3);
  /* each chunk stored with every filter applied (mask 0): a zlib stream, not raw rows */
  hid_t params = H5Dopen2(file, "/params", H5P_DEFAULT);
  ck_assert_int_ge(params, 0);
  for (hsize_t first = 0; first < N_PATIENTS; first += 3) {
    const hsize_t offset[2] = {first, 0};
    hsize_t stored = 0;
    ck_assert_int_ge(H5Dget_chunk_storage_size(params, offset, &stored), 0);
    unsigned char *raw = malloc(stored);
    uint32_t mask = 1;
    ck_assert_int_ge(H5Dread_chunk(params, H5P_DEFAULT, offset, &mask, raw), 0);
    ck_assert_uint_eq(mask, 0);
    ck_assert_uint_eq(raw[0] & 0x0f, 8); /* a zlib header: method deflate (RFC 1950) */
    ck_assert_uint_eq(((unsigned)raw[0] << 8 | raw[1]) % 31, 0);
    free(raw);
  }
  H5Dclose(params);
  H5Fclose(file);
  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

/* (1) an existing file is refused and left as it was; (2) force overwrites it. */
START_TEST(test_exists_and_force)
{
  test_files files;
  files_make(&files);
  static const char content[] = "not an HDF5 file\n";
  FILE *out = fopen(files.path, "w");
  ck_assert_ptr_nonnull(out);
  fputs(content, out);
  fclose(out);

  cart_trial *trial = trial_make();
  cart_error err;
  ck_assert_ptr_null(cart_h5_file_new(files.path, trial, scenario_text, 0, 6, &err));
  ck_assert_int_eq(err.code, CART_EEXIST);
  char expected[160];
  snprintf(expected, sizeof expected, "output file '%s' exists (use --force to overwrite)",
           files.path);
  ck_assert_str_eq(err.message, expected);
  char buf[64] = {0};
  FILE *in = fopen(files.path, "r");
  ck_assert_ptr_nonnull(in);
  ck_assert_uint_eq(fread(buf, 1, sizeof buf - 1, in), strlen(content));
  fclose(in);
  ck_assert_str_eq(buf, content);

  cart_h5_file *h5 = cart_h5_file_new(files.path, trial, scenario_text, 1, 6, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);
  ck_assert_int_gt(H5Fis_hdf5(files.path), 0);
  hid_t file = file_open(files.path);
  assert_root(file, trial, scenario_text, 0);
  assert_datasets(file, trial, 0, 6);
  H5Fclose(file);

  /* an HDF5 file is refused as well, and force replaces it */
  ck_assert_ptr_null(cart_h5_file_new(files.path, trial, scenario_text, 0, 6, &err));
  ck_assert_int_eq(err.code, CART_EEXIST);
  h5 = cart_h5_file_new(files.path, trial, "second", 1, 6, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  cart_trial_block *block = cart_trial_block_new(trial, N_PATIENTS, &err);
  ck_assert_ptr_nonnull(block);
  block_fill(block, 0, N_PATIENTS);
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_OK);
  cart_trial_block_free(block);
  const cart_trial_summary summary = summary_make();
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);
  file = file_open(files.path);
  assert_root(file, trial, "second", 1);
  assert_datasets(file, trial, N_PATIENTS, 6);
  H5Fclose(file);

  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

/* (3) a path that cannot be created: CART_EIO naming it, and nothing printed on stderr. */
START_TEST(test_missing_directory)
{
  test_files files;
  files_make(&files);
  char path[128], stderr_path[128];
  snprintf(path, sizeof path, "%s/missing/trial.h5", files.dir);
  snprintf(stderr_path, sizeof stderr_path, "%s/stderr.txt", files.dir);
  cart_trial *trial = trial_make();

  fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int capture = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(capture, 0);
  dup2(capture, STDERR_FILENO);
  cart_error err;
  cart_h5_file *h5 = cart_h5_file_new(path, trial, scenario_text, 0, 6, &err);
  cart_error err_force;
  cart_h5_file *h5_force = cart_h5_file_new(path, trial, scenario_text, 1, 6, &err_force);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(capture);

  ck_assert_ptr_null(h5);
  ck_assert_int_eq(err.code, CART_EIO);
  ck_assert_msg(strstr(err.message, path) != NULL, "message: %s", err.message);
  ck_assert_ptr_null(h5_force);
  ck_assert_int_eq(err_force.code, CART_EIO);
  struct stat info;
  ck_assert_int_eq(stat(stderr_path, &info), 0);
  ck_assert_msg(info.st_size == 0, "HDF5 printed %lld bytes on stderr", (long long)info.st_size);

  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

/* (3b) a path that is there but is not a regular file (a FIFO; a character device like
 * /dev/null, made here with mknod when we may; a directory) is refused with CART_EINVAL, with and
 * without force, and left as it was: it is never opened, truncated, written or removed, HDF5
 * prints nothing (a failed H5Fcreate of a FIFO used to leave an object HDF5 could not close and
 * complained about at exit; a /dev/null took a whole trial and a failed layout removed it), and
 * HDF5's automatic error handler is the caller's again after the call. */
START_TEST(test_not_a_regular_file)
{
  test_files files;
  files_make(&files);
  char fifo[128], device[128], dir[128], stderr_path[128];
  snprintf(fifo, sizeof fifo, "%s/fifo", files.dir);
  snprintf(device, sizeof device, "%s/null", files.dir);
  snprintf(dir, sizeof dir, "%s/dir", files.dir);
  snprintf(stderr_path, sizeof stderr_path, "%s/stderr.txt", files.dir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  const int have_device = mknod(device, S_IFCHR | 0600, makedev(1, 3)) == 0; /* root only */
  if (!have_device) {
    fprintf(stderr, "check_hdf5: SKIP the character device (mknod: not root)\n");
  }
  const char *paths[] = {fifo, dir, device};
  const mode_t types[] = {S_IFIFO, S_IFDIR, S_IFCHR};
  cart_trial *trial = trial_make();

  H5E_auto2_t handler_before = NULL, handler_after = NULL;
  void *data_before = NULL, *data_after = NULL;
  ck_assert_int_ge(H5Eget_auto2(H5E_DEFAULT, &handler_before, &data_before), 0);
  fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int capture = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(capture, 0);
  dup2(capture, STDERR_FILENO);
  cart_error err[3][2];
  cart_h5_file *h5[3][2];
  for (int i = 0; i < 2 + have_device; i++) {
    for (int force = 0; force < 2; force++) {
      h5[i][force] = cart_h5_file_new(paths[i], trial, scenario_text, force, 6, &err[i][force]);
    }
  }
  H5close(); /* what exit does: it complained here about the object a failed create left */
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(capture);
  ck_assert_int_ge(H5Eget_auto2(H5E_DEFAULT, &handler_after, &data_after), 0);
  ck_assert(handler_after == handler_before && data_after == data_before);

  for (int i = 0; i < 2 + have_device; i++) {
    for (int force = 0; force < 2; force++) {
      ck_assert_ptr_null(h5[i][force]);
      ck_assert_int_eq(err[i][force].code, CART_EINVAL);
      char expected[192];
      snprintf(expected, sizeof expected, "output '%s' is not a regular file", paths[i]);
      ck_assert_str_eq(err[i][force].message, expected);
    }
    struct stat info;
    ck_assert_int_eq(lstat(paths[i], &info), 0);
    ck_assert_msg((info.st_mode & S_IFMT) == types[i], "%s changed its type", paths[i]);
  }
  struct stat info;
  ck_assert_int_eq(stat(stderr_path, &info), 0);
  ck_assert_msg(info.st_size == 0, "%lld bytes on stderr", (long long)info.st_size);

  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

/* (4) closed without cart_h5_finish: complete = 0, the first block readable, the rest fill. */
START_TEST(test_incomplete_run)
{
  test_files files;
  files_make(&files);
  cart_trial *trial = trial_make();
  static const size_t first_block[] = {6};
  cart_h5_file *h5 = file_write(files.path, trial, 6, first_block, 1);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);

  hid_t file = file_open(files.path);
  assert_root(file, trial, scenario_text, 0);
  assert_datasets(file, trial, 6, 6);
  ck_assert_int_eq(H5Lexists(file, "summary", H5P_DEFAULT), 0);
  H5Fclose(file);
  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

static void *volatile killed_child_objects[3];

/* A process killed after creation, or after its first block, leaves a readable file (the flushes
 * after creation and after each block). */
START_TEST(test_killed_run)
{
  for (int blocks = 0; blocks <= 1; blocks++) {
    test_files files;
    files_make(&files);
    cart_trial *trial = trial_make();
    fflush(NULL);
    const pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
      cart_h5_file *h5 = cart_h5_file_new(files.path, trial, scenario_text, 0, 6, NULL);
      cart_trial_block *block = cart_trial_block_new(trial, 6, NULL);
      if (h5 == NULL || block == NULL) {
        _exit(2);
      }
      if (blocks) {
        block_fill(block, 0, 6);
        if (cart_h5_write_block(h5, block) != CART_OK) {
          _exit(3);
        }
      }
      /* Reachable from here on, so that valgrind, which reports leaks even for a process killed
       * under it, does not count what the killed child never freed. */
      killed_child_objects[0] = trial;
      killed_child_objects[1] = h5;
      killed_child_objects[2] = block;
      raise(SIGKILL); /* no close, no atexit handlers */
      _exit(4);
    }
    int child_status;
    ck_assert_int_eq(waitpid(child, &child_status, 0), child);
    ck_assert_msg(WIFSIGNALED(child_status) && WTERMSIG(child_status) == SIGKILL,
                  "child did not reach its kill (exit status %d)",
                  WIFEXITED(child_status) ? WEXITSTATUS(child_status) : -1);

    hid_t file = file_open(files.path);
    assert_root(file, trial, scenario_text, 0);
    assert_datasets(file, trial, blocks ? 6 : 0, 6);
    H5Fclose(file);
    cart_trial_free(trial);
    files_remove(&files);
  }
}
END_TEST

/* A long scenario text (beyond HDF5's 64 KiB object header) is stored whole. */
START_TEST(test_long_scenario)
{
  test_files files;
  files_make(&files);
  cart_trial *trial = trial_make();
  const size_t length = 200000;
  char *text = malloc(length + 1);
  ck_assert_ptr_nonnull(text);
  for (size_t i = 0; i < length; i++) {
    text[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
  }
  text[length] = '\0';
  cart_error err;
  cart_h5_file *h5 = cart_h5_file_new(files.path, trial, text, 0, 6, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);
  hid_t file = file_open(files.path);
  char *stored = attr_string(file, "/", "scenario");
  ck_assert_uint_eq(strlen(stored), length);
  ck_assert(strcmp(stored, text) == 0);
  free(stored);
  H5Fclose(file);
  free(text);
  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

START_TEST(test_invalid_arguments)
{
  test_files files;
  files_make(&files);
  cart_trial *trial = trial_make();
  cart_error err;
  ck_assert_ptr_null(cart_h5_file_new(NULL, trial, NULL, 0, 6, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_ptr_null(cart_h5_file_new(files.path, NULL, NULL, 0, 6, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_ptr_null(cart_h5_file_new(files.path, trial, NULL, 0, 0, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_int_eq(access(files.path, F_OK), -1); /* nothing created */

  ck_assert_int_eq(cart_h5_file_free(NULL), CART_OK);
  ck_assert_int_eq(cart_h5_write_block(NULL, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_h5_finish(NULL, NULL), CART_EINVAL);
  ck_assert_ptr_null(cart_h5_last_error(NULL));

  cart_h5_file *h5 = cart_h5_file_new(files.path, trial, NULL, 0, 6, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  cart_trial_block *block = cart_trial_block_new(trial, 6, &err);
  ck_assert_ptr_nonnull(block);
  ck_assert_int_eq(cart_h5_write_block(h5, NULL), CART_EINVAL);
  block_fill(block, 6, 6); /* patients 6-11 of 10 */
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_EINVAL);
  ck_assert_int_eq(cart_h5_last_error(h5)->code, CART_EINVAL);
  block_fill(block, 0, 6);
  block->n_times = N_TIMES - 1; /* not this file's shape */
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_EINVAL);
  block->n_times = N_TIMES;
  block->count = 0; /* nothing to write */
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_OK);
  ck_assert_int_eq(cart_h5_finish(h5, NULL), CART_EINVAL);
  cart_trial_block_free(block);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);

  hid_t file = file_open(files.path);
  ck_assert_int_eq(attr_int32(file, "/", "complete"), 0);
  H5Fclose(file);
  cart_trial_free(trial);
  files_remove(&files);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("hdf5");
  TCase *tc = tcase_create("hdf5");
  tcase_set_timeout(tc, 60);
  tcase_add_unchecked_fixture(tc, root_make, root_remove);
  tcase_add_test(tc, test_layout_and_values);
  tcase_add_test(tc, test_chunk_larger_than_trial);
  tcase_add_test(tc, test_whole_chunks);
  tcase_add_test(tc, test_exists_and_force);
  tcase_add_test(tc, test_missing_directory);
  tcase_add_test(tc, test_not_a_regular_file);
  tcase_add_test(tc, test_incomplete_run);
  tcase_add_test(tc, test_killed_run);
  tcase_add_test(tc, test_long_scenario);
  tcase_add_test(tc, test_invalid_arguments);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
